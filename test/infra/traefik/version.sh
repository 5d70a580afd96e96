#!/usr/bin/env bash
# Prints the version of the Traefik the tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" github.com/traefik/traefik/v3)"
echo "traefik $("$ors_test_cache/traefik-$version/bin/traefik" version | awk '/^Version:/ {print $2}')"
