# terraform-provider-mongodbatlas: the README's two commands are `make demo` and `make test`.

CARGO ?= cargo
BIN := target/debug/terraform-provider-mongodbatlas
EMULATOR := target/debug/atlas-emulator

.PHONY: demo test build emulator dev-override docs fmt lint clean

## demo: build, start the emulator, apply / show / import / destroy an organization key, a project
## key and an AI model key through terraform (scripts/demo.sh; SHOW_SECRETS=1 prints the secrets)
demo: build
	@SHOW_SECRETS="$(SHOW_SECRETS)" bash scripts/demo.sh

## test: format check, clippy with warnings denied, unit, in-process and end-to-end tests
test:
	@command -v terraform >/dev/null || { echo "terraform 1.11+ is required on PATH for the end-to-end tests: install it from https://developer.hashicorp.com/terraform/install"; exit 1; }
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

## build: the provider and the emulator (debug)
build:
	$(CARGO) build --workspace --bins

## emulator: run the Atlas emulator on localhost (prints its credentials as one JSON line)
emulator:
	$(CARGO) run -p atlas-emulator -- --port 0

## dev-override: build the provider and print a CLI config whose dev_overrides point at it; only
## the file goes to stdout: make -s dev-override > dev.tfrc && export TF_CLI_CONFIG_FILE="$PWD/dev.tfrc"
dev-override:
	@$(CARGO) build -p terraform-provider-mongodbatlas --bin terraform-provider-mongodbatlas >&2
	@sh scripts/dev-override.sh "$(abspath $(dir $(BIN)))"

## docs: regenerate docs/ and the golden schema from the code
docs:
	UPDATE_GOLDEN=1 $(CARGO) test --test it docs:: -- --nocapture

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
