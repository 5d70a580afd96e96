# Sourced by the install.sh of components built from Go modules (kubernetes, etcd, helm).

# go_build_into_cache <module dir> <dest dir> <ldflags> <package>[=<binary name>]...
# Builds the packages (tools of the wrapper module in <module dir>) into <dest dir>/bin,
# in one `go build` so they share work; `=<binary name>` renames a binary whose default
# name is unhelpful (go.etcd.io/etcd/server/v3 builds as "server").
# Builds into a staging folder and renames it at the end, so a build cut short never
# looks like a cached one. CGO is off: static binaries, and no C toolchain needed.
go_build_into_cache() {
  local module_dir="$1" dest="$2" ldflags="$3"
  shift 3
  local parent staging started spec packages=() renames=()
  for spec in "$@"; do
    packages+=("${spec%%=*}")
    [[ "$spec" == *=* ]] && renames+=("$spec")
  done
  parent="$(dirname "$dest")"
  mkdir -p "$parent"
  staging="$(mktemp -d "$parent/.building-$(basename "$dest").XXXXXX")"
  chmod 755 "$staging"
  started=$(date +%s)
  mkdir -p "$staging/bin"
  if ! (cd "$module_dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$staging/bin/" "${packages[@]}"); then
    rm -rf "$staging"
    echo "go build of ${packages[*]} failed" >&2
    return 1
  fi
  for spec in "${renames[@]}"; do
    mv "$staging/bin/$(cd "$module_dir" && go list -f '{{.Target}}' "${spec%%=*}" | xargs basename)" \
      "$staging/bin/${spec#*=}"
  done
  rm -rf "$dest"
  mv "$staging" "$dest"
  echo "built $(basename "$dest") in $(( $(date +%s) - started )) s into $dest"
}

# all_executable <dir> <name>...: true when every <dir>/<name> is an executable file.
all_executable() {
  local dir="$1" name
  shift
  for name in "$@"; do [[ -x "$dir/$name" ]] || return 1; done
}
