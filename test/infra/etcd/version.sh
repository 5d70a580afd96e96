#!/usr/bin/env bash
# Prints the version of the etcd the tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" go.etcd.io/etcd/server/v3)"
echo "etcd $("$ors_test_cache/etcd-$version/bin/etcd" --version | sed -n 's/^etcd Version: //p')"
