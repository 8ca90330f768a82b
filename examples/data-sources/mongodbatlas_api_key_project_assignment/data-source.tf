data "mongodbatlas_api_key_project_assignment" "this" {
  project_id = var.project_id
  api_key_id = var.api_key_id
}

output "roles" {
  value = data.mongodbatlas_api_key_project_assignment.this.roles
}

variable "project_id" {
  type = string
}

variable "api_key_id" {
  type = string
}
