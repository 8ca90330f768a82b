# The organization ID and the API key ID, joined by "-" (or "/").
# The private key cannot be read back from Atlas, so it is null after an import.
terraform import mongodbatlas_api_key.ci 5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa
terraform import mongodbatlas_api_key.ci 5d09d6a59ccf6445652a444a/6576974933969669aaaaaaaa
