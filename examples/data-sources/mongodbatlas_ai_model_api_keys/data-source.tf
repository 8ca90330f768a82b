data "mongodbatlas_ai_model_api_keys" "this" {
  project_id = var.project_id
}

output "ai_model_api_keys_results" {
  description = "All AI Model API keys in the project."
  value       = data.mongodbatlas_ai_model_api_keys.this.results
}
