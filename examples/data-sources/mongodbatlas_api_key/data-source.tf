data "mongodbatlas_api_key" "this" {
  org_id     = "5d09d6a59ccf6445652a444a"
  api_key_id = "6576974933969669aaaaaaaa"
}

output "roles" {
  value = data.mongodbatlas_api_key.this.role_names
}
