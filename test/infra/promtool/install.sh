#!/usr/bin/env bash
# Builds promtool from the github.com/prometheus/prometheus module pinned in go.mod (next
# to this script) into $ORS_TEST_CACHE/promtool-<version>/bin. Idempotent. The chart's
# alert rules are checked and unit-tested with it (test/integration/packaging/alert-rules.test.ts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
source "$here/../go-build.sh"

version="$(go_module_version "$here" github.com/prometheus/prometheus)"
dest="$ors_test_cache/promtool-$version"
if all_executable "$dest/bin" promtool; then
  echo "promtool $version: cached in $dest"
  exit 0
fi

# As Prometheus's .promu.yml: the version goes into prometheus/common's version package.
# The Go module's v0.X.Y stands for Prometheus 3.X.Y; the module version is what we pin.
ldflags="-s -w -X github.com/prometheus/common/version.Version=$version"
ldflags+=" -X github.com/prometheus/common/version.Branch=module"
ldflags+=" -X github.com/prometheus/common/version.BuildUser=ors-test"
echo "promtool $version: building (several minutes on a cold cache)"
go_build_into_cache "$here" "$dest" "$ldflags" github.com/prometheus/prometheus/cmd/promtool
