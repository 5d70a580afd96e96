#!/usr/bin/env bash
# Copies the Gateway API CRDs (standard and experimental channels) of the
# sigs.k8s.io/gateway-api module pinned in go.mod (next to this script) into
# $ORS_TEST_CACHE/gateway-api-<version>/crd/{standard,experimental}. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"

module=sigs.k8s.io/gateway-api
version="$(go_module_version "$here" "$module")"
dest="$ors_test_cache/gateway-api-$version"
channels=(standard experimental)
cached=true
for channel in "${channels[@]}"; do
  [[ -s "$dest/crd/$channel/gateway.networking.k8s.io_httproutes.yaml" ]] || cached=false
done
if $cached; then
  echo "gateway-api $version: cached in $dest"
  exit 0
fi

# go mod download checks the module against go.sum and names its folder in the module
# cache (read-only there, hence the copy).
module_dir="$(cd "$here" && go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
if [[ ! -d "$module_dir/config/crd" ]]; then
  echo "gateway-api $version: no config/crd in the downloaded module ($module_dir)" >&2
  exit 1
fi
mkdir -p "$ors_test_cache"
staging="$(mktemp -d "$ors_test_cache/.building-gateway-api-$version.XXXXXX")"
chmod 755 "$staging"
for channel in "${channels[@]}"; do
  mkdir -p "$staging/crd/$channel"
  # kustomization.yaml is kustomize's index, not a manifest.
  find "$module_dir/config/crd/$channel" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml \
    -exec cp {} "$staging/crd/$channel/" \;
  chmod 644 "$staging/crd/$channel"/*.yaml
done
rm -rf "$dest"
mv "$staging" "$dest"
echo "gateway-api $version: CRDs copied into $dest"
