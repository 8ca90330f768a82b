# terraform-provider-mongodbatlas: the README's two commands are `make demo` and `make test`.

CARGO ?= cargo
BIN := target/debug/terraform-provider-mongodbatlas
EMULATOR := target/debug/atlas-emulator

.PHONY: demo test build emulator dev-override docs fmt lint clean release release-binary

## demo: build, start the emulator, apply / show / import / destroy examples/quickstart through terraform
demo: build
	@bash scripts/demo.sh

## test: format check, clippy with warnings denied, unit, in-process and end-to-end tests
test:
	@command -v terraform >/dev/null || { echo "terraform 1.11+ is required on PATH for the end-to-end tests: install it from https://developer.hashicorp.com/terraform/install"; exit 1; }
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) --no-print-directory release-binary
	$(CARGO) test --workspace

## release: the registry's files for this platform in dist/ (zip, SHA256SUMS, manifest; TAG=v<version>
## must match Cargo.toml; GPG_FINGERPRINT=<key> signs SHA256SUMS; see scripts/release.sh for the rest)
release:
	@bash scripts/release.sh

## release-binary: the release-profile provider that tests/it/e2e_release.rs packages and installs
release-binary:
	$(CARGO) build --release --locked --bin terraform-provider-mongodbatlas

## build: the provider and the emulator (debug)
build:
	$(CARGO) build --workspace --bins

## emulator: run the Atlas emulator on localhost (prints its credentials as one JSON line)
emulator:
	$(CARGO) run -p atlas-emulator -- --port 0

## dev-override: print the CLI config that points Terraform at the built provider
dev-override: build
	@printf 'provider_installation {\n  dev_overrides {\n    "mongodb/mongodbatlas" = "%s"\n  }\n  direct {}\n}\n' "$(abspath $(dir $(BIN)))"
	@echo
	@echo "# Save it as ~/.terraformrc (or point TF_CLI_CONFIG_FILE at it), skip 'terraform init', and set"
	@echo "# MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY to use real Atlas."

## docs: regenerate docs/ and the golden schema from the code
docs:
	UPDATE_GOLDEN=1 $(CARGO) test --test it docs:: -- --nocapture

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
