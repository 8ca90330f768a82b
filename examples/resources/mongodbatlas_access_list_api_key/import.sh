# The organization ID, the API key ID and the entry (an address, or a CIDR block), joined by "-"
# (or "/"). An address may also be given as its /32 (or /128) block.
terraform import mongodbatlas_access_list_api_key.office 5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa-203.0.113.0/24
terraform import mongodbatlas_access_list_api_key.runner 5d09d6a59ccf6445652a444a/6576974933969669aaaaaaaa/198.51.100.7
