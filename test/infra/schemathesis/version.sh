#!/usr/bin/env bash
# Prints the version of the schemathesis the REST API fuzz test runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
dir="${ORS_TEST_CACHE:-$HOME/.cache/ors-test}/schemathesis-$version"
echo "schemathesis $("$dir/bin/st" --version 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p' || echo "$version (not installed)")"
