# A Voyage AI key that exists only while this run lasts: Terraform creates it when it opens the
# ephemeral resource (during plan, and again during apply) and deletes it at the end of the run.
ephemeral "mongodbatlas_ai_model_api_key" "job" {
  project_id = var.project_id
  name       = "embedding-job"
}

# A job that needs the key for the length of the run. Provisioners, provider blocks and
# write-only arguments accept ephemeral values; the key never reaches the state.
resource "terraform_data" "embedding_job" {
  provisioner "local-exec" {
    # Replace with the job itself, such as `python embed.py`.
    command     = "test -n \"$VOYAGE_API_KEY\""
    environment = { VOYAGE_API_KEY = ephemeral.mongodbatlas_ai_model_api_key.job.secret }
  }
}

output "embedding_job_id" {
  description = "The job's run, recorded in state without the key."
  value       = terraform_data.embedding_job.id
}

variable "project_id" {
  description = "The ID of the Atlas project."
  type        = string
}
