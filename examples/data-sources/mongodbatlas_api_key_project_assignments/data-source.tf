data "mongodbatlas_api_key_project_assignments" "this" {
  project_id = var.project_id
}

output "assigned_keys" {
  description = "The project roles of every API key assigned to the project, by key ID."
  value       = { for assignment in data.mongodbatlas_api_key_project_assignments.this.results : assignment.api_key_id => assignment.roles }
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
