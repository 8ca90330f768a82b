# `make demo`: one resource of each key type this provider manages, against the bundled
# emulator. Credentials and the Atlas URL come from MONGODB_ATLAS_PUBLIC_KEY,
# MONGODB_ATLAS_PRIVATE_KEY and MONGODB_ATLAS_BASE_URL, which scripts/demo.sh sets.

terraform {
  required_providers {
    mongodbatlas = {
      source = "mongodb/mongodbatlas"
    }
  }
}

provider "mongodbatlas" {}

variable "org_id" {
  description = "Atlas organization that owns the organization key."
  type        = string
}

variable "project_id" {
  description = "Atlas project of the project key and of the AI model key."
  type        = string
}

# An organization key: `atlas organizations apiKeys create --role ORG_READ_ONLY`.
resource "mongodbatlas_api_key" "org" {
  org_id      = var.org_id
  description = "demo: read the organization"
  role_names  = ["ORG_READ_ONLY"]
}

# A key created through a project, with its roles there.
resource "mongodbatlas_project_api_key" "project" {
  description = "demo: own one project"

  project_assignment {
    project_id = var.project_id
    role_names = ["GROUP_OWNER"]
  }
}

# A Voyage AI model key of the project.
resource "mongodbatlas_ai_model_api_key" "ai" {
  project_id = var.project_id
  name       = "demo-embeddings"
}

output "org_key_id" {
  value = mongodbatlas_api_key.org.api_key_id
}

output "org_public_key" {
  value = mongodbatlas_api_key.org.public_key
}

output "project_key_id" {
  value = mongodbatlas_project_api_key.project.api_key_id
}

output "ai_key_id" {
  value = mongodbatlas_ai_model_api_key.ai.api_key_id
}

# Secrets: Terraform shows them as <sensitive>; `terraform output -raw <name>` reveals one.
output "org_private_key" {
  value     = mongodbatlas_api_key.org.private_key
  sensitive = true
}

output "project_private_key" {
  value     = mongodbatlas_project_api_key.project.private_key
  sensitive = true
}

output "ai_secret" {
  value     = mongodbatlas_ai_model_api_key.ai.secret
  sensitive = true
}
