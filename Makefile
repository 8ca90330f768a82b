# terraform-provider-mongodbatlas: the README's two commands are `make demo` and `make test`.

CARGO ?= cargo
BIN := target/debug/terraform-provider-mongodbatlas
EMULATOR := target/debug/atlas-emulator

.PHONY: demo test bench build emulator dev-override docs fmt lint clean release release-binary

## demo: build, start the emulator, apply / show / import / destroy an organization key, a project
## key and an AI model key through terraform (scripts/demo.sh; SHOW_SECRETS=1 prints the secrets)
demo: build
	@SHOW_SECRETS="$(SHOW_SECRETS)" bash scripts/demo.sh

## test: format check, clippy with warnings denied, unit, in-process and end-to-end tests
test:
	@command -v terraform >/dev/null || { echo "terraform 1.11+ is required on PATH for the end-to-end tests: install it from https://developer.hashicorp.com/terraform/install"; exit 1; }
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) --no-print-directory release-binary
	$(CARGO) test --workspace

## bench: release builds, then N = 10, 50, 200 mongodbatlas_api_key against terraform_data through
## terraform and the emulator at 0 and 100 ms, and the provider's launch (scripts/bench.py; about
## 5 minutes after the builds; BENCH_QUICK=1 for a smoke run; docs/benchmarks.md has the numbers)
bench:
	@command -v terraform >/dev/null || { echo "terraform 1.11+ is required on PATH: install it from https://developer.hashicorp.com/terraform/install"; exit 1; }
	@command -v python3 >/dev/null || { echo "python3 (standard library only) is required for make bench"; exit 1; }
	python3 scripts/bench.py

## release: the registry's files for this platform in dist/ (zip, SHA256SUMS, manifest; TAG=v<version>
## must match Cargo.toml; GPG_FINGERPRINT=<key> signs SHA256SUMS; see scripts/release.sh for the rest)
release:
	@bash scripts/release.sh

## release-binary: the release-profile provider that tests/it/e2e_release.rs packages and installs;
## on x86_64 Linux linked against glibc 2.17 through cargo-zigbuild (.ci/run installs it and zig)
RELEASE_HOST := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
release-binary:
ifeq ($(RELEASE_HOST),x86_64-unknown-linux-gnu)
	@$(CARGO) zigbuild --help >/dev/null 2>&1 || { echo "cargo-zigbuild is required for the release build (glibc 2.17): python3 -m pip install ziglang==0.17.1 && cargo install cargo-zigbuild --locked --version 0.24.1"; exit 1; }
	$(CARGO) zigbuild --release --locked --bin terraform-provider-mongodbatlas --target x86_64-unknown-linux-gnu.2.17
else
	$(CARGO) build --release --locked --bin terraform-provider-mongodbatlas
endif

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
