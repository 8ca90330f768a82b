data "mongodbatlas_ai_model_rate_limits" "this" {
  project_id = var.project_id
}

output "project_rate_limits" {
  description = "Requests per minute of every model group in the project."
  value       = { for limit in data.mongodbatlas_ai_model_rate_limits.this.results : limit.model_group_name => limit.requests_per_minute_limit }
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
