//! Terraform provider for MongoDB Atlas API keys.
