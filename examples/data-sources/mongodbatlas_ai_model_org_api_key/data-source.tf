resource "mongodbatlas_ai_model_api_key" "search" {
  project_id = var.project_id
  name       = "semantic-search"
}

# Find a key by its ID alone, whichever project of the organization owns it.
data "mongodbatlas_ai_model_org_api_key" "this" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_ai_model_api_key.search.api_key_id
}

output "ai_model_api_key_project" {
  description = "The project that owns the AI Model API key."
  value       = data.mongodbatlas_ai_model_org_api_key.this.project_id
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
