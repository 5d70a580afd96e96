#!/usr/bin/env bash
# Installs Chromium from Debian when it is missing. Idempotent. The status page tests
# (test/integration/status-page/) run it headless and drive it over the DevTools protocol.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../debian-package.sh"
install_debian_package_for chromium chromium
