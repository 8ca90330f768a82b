#!/usr/bin/env bash
# `make demo`: the provider end to end against the bundled Atlas emulator.
# Starts the emulator, writes a dev_overrides CLI config in a temp dir, then applies,
# shows, imports and destroys scripts/demo/main.tf (an organization key, a project key and
# an AI model key) with the real terraform CLI.
#
# Calls: bash, terraform (1.11+), curl, sed, mktemp, and the emulator and provider that
# `make build` puts under target/debug.
# Environment: SHOW_SECRETS=1 prints the secrets Atlas returned (hidden by default);
# NO_COLOR (or output that is not a terminal) turns off the bold step titles;
# DEMO_BIN_DIR names another directory holding both binaries (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin_dir=${DEMO_BIN_DIR:-$root/target/debug}

for tool in terraform curl sed mktemp; do
  command -v "$tool" >/dev/null || {
    echo "make demo needs $tool on PATH (terraform 1.11+: https://developer.hashicorp.com/terraform/install)" >&2
    exit 1
  }
done
for bin in atlas-emulator terraform-provider-mongodbatlas; do
  [ -x "$bin_dir/$bin" ] || {
    echo "$bin_dir/$bin is missing: run make build (make demo does)" >&2
    exit 1
  }
done

work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  step() { printf '\n==> %s\n' "$*"; }
fi

# Terraform warns on every command that development overrides are in effect; that is what
# the demo sets up, so the warning (with -compact-warnings, two lines and a hint) is dropped.
quiet_overrides() {
  sed -e '/^Warnings:$/,/^To see the full warning notes/d' | cat -s
}

step "Starting the Atlas emulator"
"$bin_dir/atlas-emulator" --port 0 >"$work/emulator.json" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/emulator.json" ] && break
  sleep 0.05
done
[ -s "$work/emulator.json" ] || {
  echo "the emulator did not start; its log:" >&2
  cat "$work/emulator.log" >&2
  exit 1
}
seed=$(head -n 1 "$work/emulator.json")
field() { printf '%s' "$seed" | sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
base_url=$(field base_url)
org_id=$(field org_id)
project_id=$(printf '%s' "$seed" | sed -E 's/.*"project_ids":\["([^"]*)".*/\1/')
echo "emulator at $base_url, organization $org_id, project $project_id"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "mongodb/mongodbatlas" = "$bin_dir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export MONGODB_ATLAS_BASE_URL="$base_url"
export MONGODB_ATLAS_PUBLIC_KEY=$(field public_key)
export MONGODB_ATLAS_PRIVATE_KEY=$(field private_key)
export TF_VAR_org_id="$org_id" TF_VAR_project_id="$project_id"
cp "$root/scripts/demo/main.tf" "$work/"
cd "$work"

step "terraform apply: an organization key, a project key and an AI model key (no terraform init with dev_overrides)"
terraform apply -auto-approve -no-color -compact-warnings | quiet_overrides
step "terraform state list"
terraform state list
step "terraform show: the organization key (secrets stay <sensitive>)"
terraform state show -no-color mongodbatlas_api_key.org

if [ "${SHOW_SECRETS:-}" = 1 ]; then
  step "The secrets Atlas returned once (SHOW_SECRETS=1)"
  for name in org_private_key project_private_key ai_secret; do
    printf '%s = %s\n' "$name" "$(terraform output -raw "$name")"
  done
else
  step "Secrets"
  echo "Atlas returns a private key or secret only when the key is created; they are in the state, marked sensitive."
  echo "Run 'make demo SHOW_SECRETS=1' to print them here, or 'terraform output -raw org_private_key' in your own configuration."
fi

org_key=$(terraform output -raw org_key_id)
project_key=$(terraform output -raw project_key_id)
ai_key=$(terraform output -raw ai_key_id)
mv terraform.tfstate created.tfstate
step "terraform import into a fresh state, one ID form each"
terraform import -no-color -compact-warnings mongodbatlas_api_key.org "$org_id-$org_key" | grep -e '^Import successful' -e 'Importing from ID'
terraform import -no-color -compact-warnings mongodbatlas_project_api_key.project "$project_id/$project_key" | grep -e '^Import successful' -e 'Importing from ID'
terraform import -no-color -compact-warnings mongodbatlas_ai_model_api_key.ai "$project_id/$ai_key" | grep -e '^Import successful' -e 'Importing from ID'

step "terraform plan after import (no changes; the secrets cannot be read back, and stay null)"
status=0
terraform plan -no-color -compact-warnings -detailed-exitcode >plan.txt || status=$?
if [ "$status" != 0 ]; then
  quiet_overrides <plan.txt
  echo "Unexpected: the plan after import is not empty (exit code $status)." >&2
  exit 1
fi
quiet_overrides <plan.txt | tail -n 2

step "terraform destroy"
terraform destroy -auto-approve -no-color -compact-warnings | quiet_overrides | tail -n 1
echo
echo "Done. The emulator answered $(curl -s "$base_url/__emulator/requests" | grep -o '"seq"' | wc -l | tr -d ' ') API requests."
