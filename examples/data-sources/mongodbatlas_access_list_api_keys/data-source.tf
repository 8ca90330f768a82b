resource "mongodbatlas_api_key" "ci" {
  org_id      = var.org_id
  description = "CI deployments"
  role_names  = ["ORG_READ_ONLY"]
}

resource "mongodbatlas_access_list_api_key" "runner" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
  ip_address = "198.51.100.7"
}

resource "mongodbatlas_access_list_api_key" "office" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
  cidr_block = "203.0.113.0/24"
}

# Every entry of the key's access list, including any added outside this configuration.
data "mongodbatlas_access_list_api_keys" "all" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id

  # Read the list once both entries exist.
  depends_on = [
    mongodbatlas_access_list_api_key.runner,
    mongodbatlas_access_list_api_key.office,
  ]
}

output "allowed_cidr_blocks" {
  description = "Every entry of the key's access list, in CIDR notation."
  value       = data.mongodbatlas_access_list_api_keys.all.results[*].cidr_block
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
