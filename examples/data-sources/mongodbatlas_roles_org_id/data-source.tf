data "mongodbatlas_roles_org_id" "this" {}

output "org_id" {
  description = "The organization of the provider's credentials."
  value       = data.mongodbatlas_roles_org_id.this.org_id
}
