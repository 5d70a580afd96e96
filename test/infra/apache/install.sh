#!/usr/bin/env bash
# Installs Apache httpd 2.4 from Debian when it is missing. Idempotent. Only the server
# binary and its modules (apache2-bin: mod_proxy_balancer, mod_proxy_hcheck, ...) are
# needed: tests start their own httpd processes on free ports with their own ServerRoot,
# so the packaged system service (the apache2 package) is neither installed nor started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../debian-package.sh"
install_debian_package_for apache2 apache2-bin
