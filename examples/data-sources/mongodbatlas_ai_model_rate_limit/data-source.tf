data "mongodbatlas_ai_model_rate_limit" "this" {
  project_id       = var.project_id
  cloud            = "ANY"
  geography        = "ANY"
  model_group_name = "embed_large"
}

output "embed_large_requests_per_minute" {
  description = "The project's requests-per-minute limit for the embed_large model group."
  value       = data.mongodbatlas_ai_model_rate_limit.this.requests_per_minute_limit
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
