resource "mongodbatlas_api_key" "test" {
  description = "key-name"
  org_id      = "<ORG_ID>"
  role_names  = ["ORG_READ_ONLY"]
}

output "private_key" {
  value     = mongodbatlas_api_key.test.private_key
  sensitive = true
}
