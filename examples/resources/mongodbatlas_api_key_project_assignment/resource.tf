# An organization key that can only read the organization, and owns one project.
resource "mongodbatlas_api_key" "ci" {
  org_id      = var.org_id
  description = "CI: read the organization, own one project"
  role_names  = ["ORG_READ_ONLY"]
}

resource "mongodbatlas_api_key_project_assignment" "ci" {
  project_id = var.project_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
  roles      = ["GROUP_OWNER"]
}

variable "org_id" {
  type = string
}

variable "project_id" {
  type = string
}
