resource "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  name       = "example-ai-model-key"
}

data "mongodbatlas_ai_model_api_keys" "this" {
  project_id = var.project_id

  # Read the list once the key above exists.
  depends_on = [mongodbatlas_ai_model_api_key.this]
}

output "ai_model_api_keys_results" {
  description = "All AI Model API keys in the project."
  value       = data.mongodbatlas_ai_model_api_keys.this.results
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
