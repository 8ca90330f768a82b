#!/bin/sh
# `make dev-override`: prints a Terraform CLI configuration whose dev_overrides point
# mongodb/mongodbatlas at the directory holding the built provider (default target/debug).
# Everything printed is the file: save it in a project directory and point TF_CLI_CONFIG_FILE
# at it there, so that only that project uses the local build.
set -eu
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/target/debug}
cat <<RC
# Terraform CLI configuration for a local build of terraform-provider-mongodbatlas.
# Use it for one project only:  export TF_CLI_CONFIG_FILE="\$PWD/dev.tfrc"
# Skip 'terraform init' (Terraform warns that development overrides are in effect), and set
# MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY (or another credential method).
provider_installation {
  dev_overrides {
    "mongodb/mongodbatlas" = "$dir"
  }
  direct {}
}
RC
