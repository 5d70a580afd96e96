# Sourced by install.sh scripts of components that come from Debian packages.

# install_debian_package_for <command> <package>: installs <package> with apt-get when
# <command> is not found (also looking in /usr/sbin, which is not on every PATH).
install_debian_package_for() {
  local command="$1" package="$2"
  if PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null 2>&1; then
    echo "$package: installed ($(PATH="$PATH:/usr/sbin:/sbin" command -v "$command"))"
    return 0
  fi
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  echo "$package: installing the Debian package"
  # Refresh the package lists unless that was done in the last hour (a fresh image has none).
  if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$package"
}
