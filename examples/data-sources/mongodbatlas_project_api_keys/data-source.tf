data "mongodbatlas_project_api_keys" "all" {
  project_id = var.project_id
}

output "descriptions" {
  description = "The description of every API key assigned to the project."
  value       = [for key in data.mongodbatlas_project_api_keys.all.results : key.description]
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
