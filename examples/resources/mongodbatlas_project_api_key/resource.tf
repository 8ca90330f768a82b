# Create a key through one project, with its roles there.
resource "mongodbatlas_project_api_key" "single" {
  description = "Description of your API key"
  project_id  = "64259ee860c43338194b0f8e"
  role_names  = ["GROUP_OWNER"]
}

# Create a key and assign it to several projects, in order. The first block names the
# resource's project_id and is the only one that may hold organization roles.
resource "mongodbatlas_project_api_key" "multi" {
  description = "test api_key multi"
  project_id  = "64259ee860c43338194b0f8e"

  project_assignment {
    project_id = "64259ee860c43338194b0f8e"
    role_names = ["ORG_BILLING_ADMIN", "GROUP_READ_ONLY"]
  }

  project_assignment {
    project_id = "64229ee820c42228194b0f4a"
    role_names = ["GROUP_READ_ONLY"]
  }
}
