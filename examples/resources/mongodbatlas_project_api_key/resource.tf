# Create a key through one project, with its roles there.
resource "mongodbatlas_project_api_key" "single" {
  description = "Deployments of one project"
  project_id  = var.project_id
  role_names  = ["GROUP_OWNER"]
}

# The same with project_assignment blocks (the official provider's form). The blocks are an
# ordered list: the first one is the project the key is created through, and the only one that
# may hold organization roles. Add one block per further project the key should reach.
resource "mongodbatlas_project_api_key" "billing" {
  description = "Billing reports"

  project_assignment {
    project_id = var.project_id
    role_names = ["ORG_BILLING_ADMIN", "GROUP_READ_ONLY"]
  }
}

output "deployments_public_key" {
  description = "The public part of the deployments key."
  value       = mongodbatlas_project_api_key.single.public_key
}

output "billing_private_key" {
  description = "The private part of the billing key, known only from the apply that created it."
  value       = mongodbatlas_project_api_key.billing.private_key
  sensitive   = true
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
