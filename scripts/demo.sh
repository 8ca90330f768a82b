#!/usr/bin/env bash
# `make demo`: the provider end to end against the bundled Atlas emulator.
# Starts the emulator, writes a dev_overrides CLI config in a temp dir, then applies,
# shows, imports and destroys examples/quickstart with the real terraform CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command -v terraform >/dev/null || {
  echo "terraform 1.11+ is required on PATH: install it from https://developer.hashicorp.com/terraform/install" >&2
  exit 1
}

work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Starting the Atlas emulator"
"$root/target/debug/atlas-emulator" --port 0 >"$work/emulator.json" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/emulator.json" ] && break
  sleep 0.05
done
seed=$(head -n 1 "$work/emulator.json")
field() { printf '%s' "$seed" | sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
base_url=$(field base_url)
org_id=$(field org_id)
echo "emulator at $base_url, organization $org_id"

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "mongodb/mongodbatlas" = "$root/target/debug"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export MONGODB_ATLAS_BASE_URL="$base_url"
export MONGODB_ATLAS_PUBLIC_KEY=$(field public_key)
export MONGODB_ATLAS_PRIVATE_KEY=$(field private_key)
export TF_VAR_org_id="$org_id"
cp "$root/examples/quickstart/main.tf" "$work/"
cd "$work"

step "terraform apply (no terraform init with dev_overrides)"
terraform apply -auto-approve -no-color 2>&1 | grep -v -e '^Warning: Provider development overrides' -e '^ *- mongodb/mongodbatlas in' || true
step "terraform output"
terraform output -no-color
step "terraform output -raw private_key (shown once, as the Atlas CLI does)"
terraform output -raw private_key; echo
key_id=$(terraform output -raw api_key_id)

step "terraform import into a fresh state: ${org_id}-${key_id}"
mv terraform.tfstate created.tfstate
terraform import -no-color mongodbatlas_api_key.this "${org_id}-${key_id}" | grep -e 'Import' || true
step "terraform plan after import (expect no changes; the private key cannot be recovered)"
terraform plan -no-color -detailed-exitcode | tail -n 3

step "terraform destroy"
terraform destroy -auto-approve -no-color | tail -n 1
echo
echo "Done. The emulator's request log had $(curl -s "$base_url/__emulator/requests" | grep -o '"seq"' | wc -l) API requests."
