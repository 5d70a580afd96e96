#!/usr/bin/env bash
# Prints the version of each real test server (each component's version.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
echo "node $(node --version)"
for script in "$here"/*/version.sh; do
  bash "$script"
done
