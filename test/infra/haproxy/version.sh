#!/usr/bin/env bash
# Prints the version of the haproxy the tests run.
set -euo pipefail
echo "haproxy $(haproxy -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p')"
