data "mongodbatlas_ai_model_org_api_keys" "all" {
  org_id = var.org_id
}

output "ai_model_api_keys_by_project" {
  description = "The names of the organization's AI Model API keys, grouped by project."
  value = {
    for key in data.mongodbatlas_ai_model_org_api_keys.all.results : key.project_id => key.name...
  }
}

variable "org_id" {
  description = "The ID of the Atlas organization."
  type        = string
}
