resource "mongodbatlas_project_api_key" "deployments" {
  description = "Deployments of one project"
  project_id  = var.project_id
  role_names  = ["GROUP_OWNER"]
}

data "mongodbatlas_project_api_key" "deployments" {
  project_id = var.project_id
  api_key_id = mongodbatlas_project_api_key.deployments.api_key_id
}

output "assignments" {
  description = "Every project the key is assigned to, with its roles there."
  value       = data.mongodbatlas_project_api_key.deployments.project_assignment
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
