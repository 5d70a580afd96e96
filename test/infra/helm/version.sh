#!/usr/bin/env bash
# Prints the version of the helm the tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" helm.sh/helm/v3)"
echo "helm $("$ors_test_cache/helm-$version/bin/helm" version --template '{{.Version}}')"
