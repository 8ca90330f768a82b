resource "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  name       = "example-ai-model-key"
}

output "ai_model_api_key_secret" {
  description = "The secret value of the AI Model API key, null if the resource was imported."
  value       = mongodbatlas_ai_model_api_key.this.secret
  sensitive   = true
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
