#!/usr/bin/env bash
# Installs nftables from Debian when it is missing. Idempotent. The pod network
# (test/infra/pod-network/) uses `nft` inside the network namespaces the tests create
# (partitions, packet loss); it never touches the host's own ruleset.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../debian-package.sh"
install_debian_package_for nft nftables
