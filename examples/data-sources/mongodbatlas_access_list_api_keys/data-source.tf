data "mongodbatlas_access_list_api_keys" "all" {
  org_id     = var.org_id
  api_key_id = var.api_key_id
}

output "allowed_cidr_blocks" {
  description = "Every entry of the key's access list, in CIDR notation."
  value       = data.mongodbatlas_access_list_api_keys.all.results[*].cidr_block
}

variable "org_id" {
  type = string
}

variable "api_key_id" {
  type = string
}
