#!/usr/bin/env bash
# Prints the version of the openssl command line the test control plane uses.
set -euo pipefail
echo "openssl $(openssl version | awk '{print $2}')"
