#!/usr/bin/env bash
# Builds or installs every real test server; each step is idempotent and cached
# outside the repository. (Filled in by the Foundation issue.)
set -euo pipefail
