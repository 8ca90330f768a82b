# PROJECT_ID/API_KEY_ID. The secret is returned by Atlas only at creation, so it is null after an import.
terraform import mongodbatlas_ai_model_api_key.this 1112222b3bf99403840e8934/6117ac2fe2a3d04ed27a987v
