data "mongodbatlas_roles_org_id" "this" {}

resource "mongodbatlas_api_key" "ci" {
  org_id      = data.mongodbatlas_roles_org_id.this.org_id
  description = "CI deployments"
  role_names  = ["ORG_READ_ONLY"]
}

# One address.
resource "mongodbatlas_access_list_api_key" "runner" {
  org_id     = data.mongodbatlas_roles_org_id.this.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
  ip_address = "198.51.100.7"
}

# A block of addresses, in canonical form (no host bits set).
resource "mongodbatlas_access_list_api_key" "office" {
  org_id     = data.mongodbatlas_roles_org_id.this.org_id
  api_key_id = mongodbatlas_api_key.ci.api_key_id
  cidr_block = "203.0.113.0/24"
}

output "runner_cidr_block" {
  description = "The address as Atlas stores it: 198.51.100.7/32."
  value       = mongodbatlas_access_list_api_key.runner.cidr_block
}
