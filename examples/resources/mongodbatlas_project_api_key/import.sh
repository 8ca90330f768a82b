# The organization ID (or a project ID the key is assigned to) and the API key ID, joined by "-" (or "/").
# The private key cannot be read back from Atlas, so it is null after an import.
terraform import mongodbatlas_project_api_key.billing 5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa
terraform import mongodbatlas_project_api_key.billing 64259ee860c43338194b0f8e-6576974933969669aaaaaaaa
terraform import mongodbatlas_project_api_key.billing 5d09d6a59ccf6445652a444a/6576974933969669aaaaaaaa
