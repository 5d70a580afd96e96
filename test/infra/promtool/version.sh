#!/usr/bin/env bash
# Prints the version of the promtool the tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" github.com/prometheus/prometheus)"
echo "promtool $("$ors_test_cache/promtool-$version/bin/promtool" --version 2>&1 | awk 'NR==1 {print $3}')"
