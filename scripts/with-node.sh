#!/usr/bin/env bash
# Runs a command with the project's Node LTS first on PATH.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
node_bin=$(hush_ensure_node)
export PATH="$node_bin:$PATH"
exec "$@"
