#!/usr/bin/env bash
# Builds or installs every real test server. Each component has its own folder under
# test/infra/ with an idempotent install.sh that caches its result outside the
# repository (~/.cache/ors-test/<component>-<version>/), so a warm machine does nothing.
# One progress line per component; the install noise goes to .logs/<component>.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/logged-step.sh"
started=$(date +%s)
for script in "$here"/*/install.sh; do
  logged_step "$(basename "$(dirname "$script")")" bash "$script"
done
echo "servers: ready in $(( $(date +%s) - started )) s (logs: .logs/)"
