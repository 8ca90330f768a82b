# The project ID and the API key ID, joined by "/" (or "-").
terraform import mongodbatlas_api_key_project_assignment.ci 5d09d6a59ccf6445652a444b/6576974933969669aaaaaaaa
terraform import mongodbatlas_api_key_project_assignment.ci 5d09d6a59ccf6445652a444b-6576974933969669aaaaaaaa
