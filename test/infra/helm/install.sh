#!/usr/bin/env bash
# Builds helm from the helm.sh/helm/v3 module pinned in go.mod (next to this script)
# into $ORS_TEST_CACHE/helm-<version>/bin. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
source "$here/../go-build.sh"

version="$(go_module_version "$here" helm.sh/helm/v3)"
dest="$ors_test_cache/helm-$version"
if all_executable "$dest/bin" helm; then
  echo "helm $version: cached in $dest"
  exit 0
fi

# As helm's Makefile: its version, and the Kubernetes version that `helm template`
# and `helm lint` assume (.Capabilities.KubeVersion) from the client-go it links
# (client-go v0.N.x is Kubernetes 1.N).
client_go="$(go_module_version "$here" k8s.io/client-go)"
kube_minor="${client_go#v0.}"; kube_minor="${kube_minor%%.*}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube_minor"
done
echo "helm $version: building (a few minutes on a cold cache)"
go_build_into_cache "$here" "$dest" "$ldflags" helm.sh/helm/v3/cmd/helm
