# Quickstart: the Terraform version of
#   atlas organizations apiKeys create --role ORG_OWNER --desc "My API Key" --orgId <ORG_ID>
# Credentials and the Atlas URL come from MONGODB_ATLAS_PUBLIC_KEY, MONGODB_ATLAS_PRIVATE_KEY
# and MONGODB_ATLAS_BASE_URL (`make demo` points them at the bundled emulator).

terraform {
  required_providers {
    mongodbatlas = {
      source = "mongodb/mongodbatlas"
    }
  }
}

provider "mongodbatlas" {}

variable "org_id" {
  description = "Atlas organization that owns the key."
  type        = string
}

resource "mongodbatlas_api_key" "this" {
  org_id      = var.org_id
  description = "My API Key"
  role_names  = ["ORG_OWNER"]
}

output "api_key_id" {
  value = mongodbatlas_api_key.this.api_key_id
}

output "public_key" {
  value = mongodbatlas_api_key.this.public_key
}

# Atlas shows the private key once; `terraform output -raw private_key` reveals it.
output "private_key" {
  value     = mongodbatlas_api_key.this.private_key
  sensitive = true
}
