data "mongodbatlas_api_keys" "all" {
  org_id = "5d09d6a59ccf6445652a444a"
}

output "public_keys" {
  value = [for key in data.mongodbatlas_api_keys.all.results : key.public_key]
}
