#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the k8s.io/kubernetes
# Go module pinned in go.mod (next to this script) into
# $ORS_TEST_CACHE/kubernetes-<version>/bin. Idempotent: does nothing when the binaries
# are there. `go build`, not `go install`: the wrapper module needs replace directives.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
source "$here/../go-build.sh"

version="$(go_module_version "$here" k8s.io/kubernetes)"
dest="$ors_test_cache/kubernetes-$version"
commands=(kube-apiserver kube-controller-manager kubectl)
if all_executable "$dest/bin" "${commands[@]}"; then
  echo "kubernetes $version: cached in $dest"
  exit 0
fi

# The same -X flags as Kubernetes' hack/lib/version.sh, so /version and
# `kubectl version` report the real release. The build date is the module's
# release time, which keeps the binaries reproducible; there is no git commit.
release="${version#v}"
major="${release%%.*}"
minor="${release#*.}"; minor="${minor%%.*}"
build_date="$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=archive -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
done

echo "kubernetes $version: building ${commands[*]} (10+ minutes on a cold cache)"
packages=()
for cmd in "${commands[@]}"; do packages+=("k8s.io/kubernetes/cmd/$cmd"); done
go_build_into_cache "$here" "$dest" "$ldflags" "${packages[@]}"
