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

# The key's roles in the project, whoever assigned them.
data "mongodbatlas_api_key_project_assignment" "ci" {
  project_id = mongodbatlas_api_key_project_assignment.ci.project_id
  api_key_id = mongodbatlas_api_key_project_assignment.ci.api_key_id
}

output "roles" {
  description = "The key's project roles."
  value       = data.mongodbatlas_api_key_project_assignment.ci.roles
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
