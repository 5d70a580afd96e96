#!/usr/bin/env bash
# Builds or installs every real test server. Each component has its own folder under
# test/infra/ with an idempotent install.sh that caches its result outside the
# repository (~/.cache/ors-test/<component>-<version>/), so a warm machine does nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for script in "$here"/*/install.sh; do
  echo "servers: $(basename "$(dirname "$script")")"
  bash "$script"
done
