// Wrapper module that pins the Gateway API (sigs.k8s.io/gateway-api) whose CRDs the e2e
// tests install for Traefik's Kubernetes Gateway provider. install.sh copies the CRD
// YAML of the standard and experimental channels (config/crd/ in the module) into the
// cache; the version is pinned here only. Nothing is built from it, so no package
// imports it: do not `go mod tidy` here (it would drop the requirement).
module ors.dev/testinfra/gateway-api

go 1.26.0

require sigs.k8s.io/gateway-api v1.6.3
