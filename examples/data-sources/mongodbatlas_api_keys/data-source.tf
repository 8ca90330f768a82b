data "mongodbatlas_api_keys" "all" {
  org_id = var.org_id
}

output "public_keys" {
  description = "The public key of every API key of the organization."
  value       = [for key in data.mongodbatlas_api_keys.all.results : key.public_key]
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
