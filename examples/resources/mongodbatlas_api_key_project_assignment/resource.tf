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

output "ci_public_key" {
  description = "The public part of the key, to give to the CI system with its private part."
  value       = mongodbatlas_api_key.ci.public_key
}

output "ci_private_key" {
  description = "The private part of the key, known only from the apply that created it."
  value       = mongodbatlas_api_key.ci.private_key
  sensitive   = true
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
