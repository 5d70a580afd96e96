#!/usr/bin/env bash
# Prints the version of the Gateway API CRDs the tests install (from the bundle-version
# annotation of the cached CRDs, so it says what is really there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" sigs.k8s.io/gateway-api)"
crd="$ors_test_cache/gateway-api-$version/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
echo "gateway-api $(sed -n 's/^ *gateway.networking.k8s.io\/bundle-version: *//p' "$crd" | head -1)"
