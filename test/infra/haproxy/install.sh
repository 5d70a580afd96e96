#!/usr/bin/env bash
# Installs HAProxy from Debian when it is missing. Idempotent.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
  echo "haproxy: installed ($(command -v haproxy))"
  exit 0
fi
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo)
echo "haproxy: installing the Debian package"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends haproxy
# Tests start their own haproxy processes; the packaged system service is not used.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then
  "${sudo[@]}" systemctl disable --now haproxy || true
fi
