#!/usr/bin/env bash
# run-logged-step.sh <name> <command>...: logged_step (logged-step.sh) for the Makefile.
set -euo pipefail
source "$(dirname "$0")/logged-step.sh"
logged_step "$@"
