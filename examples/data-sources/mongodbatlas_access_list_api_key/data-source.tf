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

# Read the entry back, with what Atlas records about its use.
data "mongodbatlas_access_list_api_key" "runner" {
  org_id     = var.org_id
  api_key_id = mongodbatlas_access_list_api_key.runner.api_key_id
  ip_address = mongodbatlas_access_list_api_key.runner.ip_address
}

output "runner_entry" {
  description = "The entry in CIDR notation and when it was added."
  value = {
    cidr_block = data.mongodbatlas_access_list_api_key.runner.cidr_block
    created    = data.mongodbatlas_access_list_api_key.runner.created
  }
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
