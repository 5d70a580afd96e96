#!/usr/bin/env bash
# Installs schemathesis (PyPI) into its own virtualenv under
# ${ORS_TEST_CACHE:-~/.cache/ors-test}/schemathesis-<version>/; idempotent (a finished
# install is published by rename, so a warm machine does nothing). Needs Python >= 3.9
# with venv (Debian: python3-venv, installed when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
dir="${ORS_TEST_CACHE:-$HOME/.cache/ors-test}/schemathesis-$version"
if [[ -x "$dir/bin/st" ]]; then
  echo "schemathesis $version: cached in $dir"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  echo "schemathesis: installing python3-venv from Debian"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends python3-venv
fi
echo "schemathesis $version: installing from PyPI into $dir"
rm -rf "$dir.tmp"
python3 -m venv "$dir.tmp"
"$dir.tmp/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
# A venv's scripts name its absolute path in their first line: point them at the final one.
sed -i "1s|^#!.*/python[0-9.]*$|#!$dir/bin/python3|" "$dir"/bin/st "$dir"/bin/schemathesis
"$dir/bin/st" --version
