#!/usr/bin/env bash
# Prints the version of the chromium the tests run.
set -euo pipefail
chromium --version
