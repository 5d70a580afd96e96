# Sourced by the install.sh/version.sh scripts: the cache root for built test servers.
# ORS_TEST_CACHE overrides it (cold-cache measurements, CI caches).
ors_test_cache="${ORS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ors-test}"

# The version of module $2 that the wrapper go.mod in directory $1 pins (the single
# place each Go-built component's version lives).
go_module_version() {
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}
