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
# Java 17 and Maven come from Debian when missing (the machine image usually has them).
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  echo "cassandra: installing Java 17 and Maven from Debian"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven
fi
echo "cassandra $version: resolving cassandra-all and its dependencies from Maven Central into $dir"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir.tmp/lib" 2>&1 \
  | sed -e 's/\x1b\[[0-9;]*m//g'
rm -rf "$dir"
mv "$dir.tmp" "$dir"
touch "$dir/.installed"
echo "cassandra $version: installed ($(ls "$dir/lib" | wc -l) jars)"
