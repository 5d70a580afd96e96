#!/usr/bin/env bash
# Installs HAProxy from Debian when it is missing. Idempotent. Tests start their own
# haproxy processes on free ports; the packaged system service is not used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../debian-package.sh"
install_debian_package_for haproxy haproxy
