#!/usr/bin/env bash
# Resolves cassandra-all and its runtime dependencies from Maven Central into
# ${ORS_TEST_CACHE:-~/.cache/ors-test}/cassandra-<version>/lib; idempotent (a marker file
# records a finished install, so a warm machine does nothing). Needs Java 17 and Maven.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$here/pom.xml")"
dir="${ORS_TEST_CACHE:-$HOME/.cache/ors-test}/cassandra-$version"
if [[ -f "$dir/.installed" ]]; then
  echo "cassandra $version: cached in $dir"
  exit 0
fi
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "cassandra: $tool is missing; install it (apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done
echo "cassandra $version: resolving cassandra-all and its dependencies from Maven Central into $dir"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir.tmp/lib"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
touch "$dir/.installed"
echo "cassandra $version: installed ($(ls "$dir/lib" | wc -l) jars)"
