#!/usr/bin/env bash
# Prints the versions of the Kubernetes binaries the tests run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../cache-root.sh"
version="$(go_module_version "$here" k8s.io/kubernetes)"
bin="$ors_test_cache/kubernetes-$version/bin"
echo "kube-apiserver $("$bin/kube-apiserver" --version | awk '{print $2}')"
echo "kube-controller-manager $("$bin/kube-controller-manager" --version | awk '{print $2}')"
echo "kubectl $("$bin/kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)"
