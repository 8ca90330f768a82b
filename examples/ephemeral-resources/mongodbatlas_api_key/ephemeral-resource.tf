# A key that exists only while this run lasts: Terraform creates it when it opens the
# ephemeral resource (during plan, and again during apply) and deletes it at the end of the run.
ephemeral "mongodbatlas_api_key" "ci" {
  org_id      = var.org_id
  description = "ci-run"
  role_names  = ["ORG_READ_ONLY"]

  # For organizations that require an access list for API access:
  # access_list = ["203.0.113.10", "198.51.100.0/24"]
}

# A provider configuration that calls Atlas with the short-lived key.
provider "mongodbatlas" {
  alias       = "ci"
  public_key  = ephemeral.mongodbatlas_api_key.ci.public_key
  private_key = ephemeral.mongodbatlas_api_key.ci.private_key
}

data "mongodbatlas_roles_org_id" "ci" {
  provider = mongodbatlas.ci
}

output "org_id_of_the_short_lived_key" {
  description = "The organization the short-lived key belongs to, as Atlas reports it to the key itself."
  value       = data.mongodbatlas_roles_org_id.ci.org_id
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
