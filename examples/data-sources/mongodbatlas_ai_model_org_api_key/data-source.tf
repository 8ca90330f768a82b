data "mongodbatlas_ai_model_org_api_key" "this" {
  org_id     = var.org_id
  api_key_id = var.ai_model_api_key_id
}

output "ai_model_api_key_project" {
  description = "The project that owns the AI Model API key."
  value       = data.mongodbatlas_ai_model_org_api_key.this.project_id
}

variable "org_id" {
  type = string
}

variable "ai_model_api_key_id" {
  type = string
}
