data "mongodbatlas_access_list_api_key" "runner" {
  org_id     = var.org_id
  api_key_id = var.api_key_id
  ip_address = "198.51.100.7"
}

output "runner_entry" {
  description = "The entry in CIDR notation and when it was added."
  value = {
    cidr_block = data.mongodbatlas_access_list_api_key.runner.cidr_block
    created    = data.mongodbatlas_access_list_api_key.runner.created
  }
}

variable "org_id" {
  type = string
}

variable "api_key_id" {
  type = string
}
