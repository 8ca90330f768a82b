data "mongodbatlas_project_api_key" "this" {
  project_id = "64259ee860c43338194b0f8e"
  api_key_id = "6576974933969669aaaaaaaa"
}

output "assignments" {
  value = data.mongodbatlas_project_api_key.this.project_assignment
}
