#!/usr/bin/env bash
# Builds the Terraform registry's release layout for one platform (the host unless TARGET,
# GOOS and GOARCH say otherwise) into DIST (default dist/):
#
#   terraform-provider-mongodbatlas_<version>_<os>_<arch>.zip   holding terraform-provider-mongodbatlas_v<version>[.exe]
#   terraform-provider-mongodbatlas_<version>_manifest.json     copy of terraform-registry-manifest.json (protocol 6.0)
#   terraform-provider-mongodbatlas_<version>_SHA256SUMS        sha256 of every zip in DIST and of the manifest
#   terraform-provider-mongodbatlas_<version>_SHA256SUMS.sig    detached GPG signature, only when GPG_FINGERPRINT is set
#
# The version is the [package] version of Cargo.toml. TAG (such as v0.1.0 or 0.1.0), when
# given, must name that version, or nothing is built. Run once per platform into the same DIST
# and SHA256SUMS lists them all (the workflow does so with one job per platform, then sums).
#
# Variables (all optional):
#   DIST=dir          where the files go (created; earlier files of this version are replaced)
#   TAG=v1.2.3        refuse to build unless it matches Cargo.toml's version
#   TARGET=triple     cargo --target; on a *-linux-gnu host the default is the host with the
#                     glibc floor, such as x86_64-unknown-linux-gnu.2.17, built by cargo zigbuild
#   GLIBC_FLOOR=2.17  that floor; empty builds against the host's glibc with plain cargo build
#   GOOS=, GOARCH=    the registry's platform names when TARGET is not the host (linux, amd64, ...)
#   CARGO_BUILD="cargo zigbuild"  the build command (default: cargo build, or cargo zigbuild for a floor)
#   BINARY=path       package this already built release binary instead of building
#   GPG_FINGERPRINT=  the key that signs SHA256SUMS (gpg --local-user); unset: no signature
#   SUMS_ONLY=1       only (re)write SHA256SUMS (and its signature) over the zips already in DIST
set -euo pipefail
cd "$(dirname "$0")/.."

name=terraform-provider-mongodbatlas
version=$(awk '/^\[package\]/ { in_package = 1; next } /^\[/ { in_package = 0 }
  in_package && /^version *=/ { gsub(/[" ]/, "", $0); sub(/^version=/, "", $0); print; exit }' Cargo.toml)
if [[ -z "$version" ]]; then
  echo "release: no [package] version in Cargo.toml" >&2
  exit 1
fi
if [[ -n "${TAG:-}" && "${TAG#v}" != "$version" ]]; then
  echo "release: tag $TAG does not match Cargo.toml's version $version; set the version in Cargo.toml first" >&2
  exit 1
fi

dist=${DIST:-dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
prefix="${name}_${version}"

go_os() {
  case "$1" in
    *linux*) echo linux ;; *darwin* | *apple*) echo darwin ;; *windows*) echo windows ;;
    *freebsd*) echo freebsd ;; *openbsd*) echo openbsd ;; *netbsd*) echo netbsd ;;
    *) echo "release: unknown OS in $1; set GOOS" >&2; return 1 ;;
  esac
}
go_arch() {
  case "$1" in
    x86_64* | amd64*) echo amd64 ;; aarch64* | arm64*) echo arm64 ;; i?86*) echo 386 ;;
    arm*) echo arm ;; *) echo "release: unknown architecture in $1; set GOARCH" >&2; return 1 ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# Zips one file, stored without its directory; the zip CLI when present, else Python's zipfile.
zip_one() {
  local zip_path=$1 file=$2
  rm -f "$zip_path"
  if command -v zip >/dev/null; then
    (cd "$(dirname "$file")" && zip -q -X "$zip_path" "$(basename "$file")")
  else
    python3 - "$zip_path" "$file" <<'PY'
import os, sys, zipfile
zip_path, file = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo.from_file(file, os.path.basename(file))
info.compress_type = zipfile.ZIP_DEFLATED
with open(file, "rb") as source, zipfile.ZipFile(zip_path, "w") as archive:
    archive.writestr(info, source.read())
PY
  fi
}

if [[ -z "${SUMS_ONLY:-}" ]]; then
  host=$(rustc -vV | sed -n 's/^host: //p')
  floor=${GLIBC_FLOOR-2.17}
  if [[ -z "${TARGET:-}" && -z "${BINARY:-}" && "$host" == *-linux-gnu && -n "$floor" ]]; then
    TARGET="$host.$floor"
    CARGO_BUILD=${CARGO_BUILD:-cargo zigbuild}
  fi
  target=${TARGET:-$host}
  # A zigbuild target may carry a glibc suffix (x86_64-unknown-linux-gnu.2.17); cargo's output
  # directory drops it.
  target_dir_name=${target%%.[0-9]*}
  os=${GOOS:-$(go_os "$target")}
  arch=${GOARCH:-$(go_arch "$target")}
  exe=""
  [[ "$os" == windows ]] && exe=".exe"

  binary=${BINARY:-}
  if [[ -z "$binary" ]]; then
    build=(${CARGO_BUILD:-cargo build})
    args=(--release --locked -p "$name" --bin "$name")
    if [[ -n "${TARGET:-}" ]]; then
      args+=(--target "$target")
      binary="target/$target_dir_name/release/$name$exe"
    else
      binary="target/release/$name$exe"
    fi
    "${build[@]}" "${args[@]}"
  fi
  if [[ ! -x "$binary" ]]; then
    echo "release: no executable at $binary" >&2
    exit 1
  fi

  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  cp "$binary" "$stage/${name}_v${version}${exe}"
  chmod 0755 "$stage/${name}_v${version}${exe}"
  zip_one "$dist/${prefix}_${os}_${arch}.zip" "$stage/${name}_v${version}${exe}"
  echo "release: $dist/${prefix}_${os}_${arch}.zip"
fi
cp terraform-registry-manifest.json "$dist/${prefix}_manifest.json"

# SHA256SUMS over every zip of this version in DIST and the manifest, sorted by name.
(
  cd "$dist"
  shopt -s nullglob
  files=("${prefix}"_*.zip "${prefix}_manifest.json")
  if [[ ${#files[@]} -lt 2 ]]; then
    echo "release: no zip of version $version in $dist" >&2
    exit 1
  fi
  sha256 "${files[@]}" | sort -k2 >"${prefix}_SHA256SUMS"
)
rm -f "$dist/${prefix}_SHA256SUMS.sig"
if [[ -n "${GPG_FINGERPRINT:-}" ]]; then
  gpg --batch --yes --local-user "$GPG_FINGERPRINT" --output "$dist/${prefix}_SHA256SUMS.sig" \
    --detach-sign "$dist/${prefix}_SHA256SUMS"
  echo "release: signed with $GPG_FINGERPRINT"
fi
echo "release: $dist/${prefix}_SHA256SUMS"
