# {project_id}/{cloud}/{geography}/{model_group_name}
terraform import mongodbatlas_ai_model_rate_limit.this 1112222b3bf99403840e8934/ANY/ANY/embed_large
