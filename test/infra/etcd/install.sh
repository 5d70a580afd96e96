#!/usr/bin/env bash
# Builds etcd from the go.etcd.io/etcd/server/v3 module pinned in go.mod (next to this
# script) into $ORS_TEST_CACHE/etcd-<version>/bin. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
source "$here/../go-build.sh"

version="$(go_module_version "$here" go.etcd.io/etcd/server/v3)"
dest="$ors_test_cache/etcd-$version"
if all_executable "$dest/bin" etcd; then
  echo "etcd $version: cached in $dest"
  exit 0
fi

# etcd's version string is in its source; only the git SHA comes from the build.
ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$version"
echo "etcd $version: building (a few minutes on a cold cache)"
go_build_into_cache "$here" "$dest" "$ldflags" go.etcd.io/etcd/server/v3=etcd
