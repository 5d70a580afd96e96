#!/usr/bin/env bash
# Prints the Cassandra version the tests use (from pom.xml), and whether it is installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$here/pom.xml")"
dir="${ORS_TEST_CACHE:-$HOME/.cache/ors-test}/cassandra-$version"
if [[ -f "$dir/.installed" ]]; then
  echo "cassandra $version ($dir, $(java -version 2>&1 | head -1))"
else
  echo "cassandra $version (not installed: run make servers)"
fi
