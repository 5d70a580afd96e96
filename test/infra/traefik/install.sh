#!/usr/bin/env bash
# Builds Traefik from the github.com/traefik/traefik/v3 module pinned in go.mod (next to
# this script) into $ORS_TEST_CACHE/traefik-<version>/bin. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
source "$here/../go-build.sh"

version="$(go_module_version "$here" github.com/traefik/traefik/v3)"
dest="$ors_test_cache/traefik-$version"
if all_executable "$dest/bin" traefik; then
  echo "traefik $version: cached in $dest"
  exit 0
fi

# As Traefik's Makefile. The build date is the module's release date, so a rebuild is
# the same binary. The web UI's assets are not in the module (they are built with
# yarn), so the dashboard is empty; the tests do not use it.
release_date="$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' github.com/traefik/traefik/v3)"
ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$version"
ldflags+=" -X github.com/traefik/traefik/v3/pkg/version.Codename=module"
ldflags+=" -X github.com/traefik/traefik/v3/pkg/version.BuildDate=$release_date"
echo "traefik $version: building (ten minutes or more on a cold cache)"
go_build_into_cache "$here" "$dest" "$ldflags" github.com/traefik/traefik/v3/cmd/traefik
