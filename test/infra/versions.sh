#!/usr/bin/env bash
# Prints the version of each real test server. (Filled in by the Foundation issue.)
set -euo pipefail
echo "node $(node --version)"
