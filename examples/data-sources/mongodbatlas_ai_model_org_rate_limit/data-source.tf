data "mongodbatlas_ai_model_org_rate_limit" "this" {
  org_id           = var.org_id
  model_group_name = "embed_large"
}

output "embed_large_org_tokens_per_minute" {
  description = "The most tokens per minute any project of the organization may allow for embed_large."
  value       = data.mongodbatlas_ai_model_org_rate_limit.this.tokens_per_minute_limit
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
