#!/usr/bin/env bash
# Prints the version of the haproxy the tests run.
set -euo pipefail
PATH="$PATH:/usr/sbin"
echo "haproxy $(haproxy -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p')"
