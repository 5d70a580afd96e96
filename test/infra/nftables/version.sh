#!/usr/bin/env bash
set -euo pipefail
echo "nftables $(PATH="$PATH:/usr/sbin:/sbin" nft --version | awk '{print $2}')"
