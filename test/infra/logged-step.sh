# Sourced by install-all.sh (and run by the Makefile through run-logged-step.sh): runs one
# install step with its noise (apt, npm, go build, mvn) in a log file under <repo>/.logs/
# and prints what it is doing as one or two lines, so `make local`/`make test` say what
# happens without burying it.

# ORS_LOGS_DIR moves them (tests of this file).
logs_dir="${ORS_LOGS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.logs}"

# logged_step <name> <command>...: runs <command> with stdout and stderr into
# .logs/<name>.log. When its first line of output says it had nothing to do
# ("... cached in ..." or a Debian package "...: installed (...)"), prints
# "<name>: cached in ..." (or "installed (...)"); otherwise, as soon as that first line shows it is working, prints
# "<name>: <that line> (log: .logs/<name>.log)" and at the end "<name>: done in N s".
# On failure prints the log's last 40 lines and its path, and returns the exit code.
logged_step() {
  local name="$1"
  shift
  mkdir -p "$logs_dir"
  local log="$logs_dir/$name.log" shown=".logs/$name.log" started pid first="" announced=0 code=0
  started=$(date +%s)
  "$@" >"$log" 2>&1 &
  pid=$!
  # Wait for the first line (or the end): it tells a cached step from a working one.
  if [[ -n "${LOGGED_STEP_SAYS:-}" ]]; then
    echo "$name: $LOGGED_STEP_SAYS (log: $shown)"
    announced=1
  fi
  while [[ $announced -eq 0 ]] && kill -0 "$pid" 2>/dev/null && [[ -z "$first" ]]; do
    sleep 0.1
    first="$(head -n 1 "$log" 2>/dev/null)"
  done
  first="$(head -n 1 "$log" 2>/dev/null)"
  if [[ $announced -eq 0 ]] && kill -0 "$pid" 2>/dev/null && ! is_nothing_to_do "$first"; then
    echo "$name: ${first#*: } (log: $shown)"
    announced=1
  fi
  wait "$pid" || code=$?
  if [[ $code -ne 0 ]]; then
    echo "$name: FAILED (exit $code) after $(( $(date +%s) - started )) s; last lines of $log:" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    echo "$name: full log: $log" >&2
    return "$code"
  fi
  if [[ $announced -eq 0 ]] && is_nothing_to_do "$first"; then
    echo "$name: ${first#*: }"
  else
    echo "$name: done in $(( $(date +%s) - started )) s (log: $shown)"
  fi
}

# True when an install script's first line says it found its result already there.
is_nothing_to_do() {
  [[ "$1" == *" cached in "* || "$1" == *": installed ("* ]]
}
