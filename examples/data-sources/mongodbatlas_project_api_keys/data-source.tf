data "mongodbatlas_project_api_keys" "all" {
  project_id = "64259ee860c43338194b0f8e"
}

output "descriptions" {
  value = [for key in data.mongodbatlas_project_api_keys.all.results : key.description]
}
