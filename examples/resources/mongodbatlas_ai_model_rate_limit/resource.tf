resource "mongodbatlas_ai_model_rate_limit" "this" {
  project_id                = var.project_id
  cloud                     = "ANY"
  geography                 = "ANY"
  model_group_name          = "embed_large"
  requests_per_minute_limit = 1000
  tokens_per_minute_limit   = 1000000
}

output "embed_large_models" {
  description = "The embedding models the limit applies to."
  value       = mongodbatlas_ai_model_rate_limit.this.model_names
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
