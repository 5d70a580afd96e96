#!/usr/bin/env bash
# Installs the openssl command line from Debian when it is missing (slim images lack it).
# The test control plane uses it to make its CA, certificates and signing keys. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../debian-package.sh"
install_debian_package_for openssl openssl
