#!/usr/bin/env bash
# Prints the version of the Apache httpd the tests run.
set -euo pipefail
PATH="$PATH:/usr/sbin"
echo "apache-httpd $(apache2 -v | sed -n 's/^Server version: Apache\/\([^ ]*\).*/\1/p')"
