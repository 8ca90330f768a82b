resource "mongodbatlas_api_key" "ci" {
  org_id      = var.org_id
  description = "CI: read the organization"
  role_names  = ["ORG_READ_ONLY"]
}

data "mongodbatlas_api_key" "ci" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
}

output "ci_roles" {
  description = "The key's organization roles, as Atlas holds them."
  value       = data.mongodbatlas_api_key.ci.role_names
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
