data "mongodbatlas_ai_model_org_rate_limits" "this" {
  org_id = var.org_id
}

output "org_rate_limits" {
  description = "Tokens per minute of every model group in the organization."
  value       = { for limit in data.mongodbatlas_ai_model_org_rate_limits.this.results : limit.model_group_name => limit.tokens_per_minute_limit }
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
