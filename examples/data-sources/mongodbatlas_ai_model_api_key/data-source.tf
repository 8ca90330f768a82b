resource "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  name       = "example-ai-model-key"
}

data "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  api_key_id = mongodbatlas_ai_model_api_key.this.api_key_id
}

output "ai_model_api_key_name" {
  description = "The name of the AI Model API key from the data source."
  value       = data.mongodbatlas_ai_model_api_key.this.name
}

output "ai_model_api_key_masked_secret" {
  description = "The key's secret with all but its last characters hidden, to recognize it."
  value       = data.mongodbatlas_ai_model_api_key.this.masked_secret
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
