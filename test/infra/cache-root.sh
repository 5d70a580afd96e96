# Sourced by the install.sh/version.sh scripts: the cache root for built test servers.
# ORS_TEST_CACHE overrides it (cold-cache measurements, CI caches).
ors_test_cache="${ORS_TEST_CACHE:-$HOME/.cache/ors-test}"

# The version of module $2 that the wrapper go.mod in directory $1 pins (the single
# place each Go-built component's version lives).
go_module_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

# Go may be installed without being on PATH (the official tarball's /usr/local/go).
if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    echo "go is required to build the test servers (https://go.dev/dl/); it is not on PATH" >&2
    exit 1
  fi
fi
