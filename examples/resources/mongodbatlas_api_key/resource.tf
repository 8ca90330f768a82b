resource "mongodbatlas_api_key" "ci" {
  org_id      = var.org_id
  description = "CI: read the organization"
  role_names  = ["ORG_READ_ONLY"]
}

output "ci_public_key" {
  description = "The public part of the key, to give to the CI system."
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
