#!/usr/bin/env bash
# Installs moto[server] (the AWS emulator the aws provider's tests run
# against) into a venv in the Hush cache. Idempotent: an existing venv at the
# pinned version is kept (scripts/install-sops-tools.sh --moto makes the same
# one). Prints the path of moto_server.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MOTO_VERSION=5.2.5
MOTO_VENV="$HUSH_CACHE_DIR/venv/moto-$MOTO_VERSION"
MOTO_BIN="$MOTO_VENV/bin/moto_server"

if [[ ! -x "$MOTO_BIN" ]]; then
  command -v python3 >/dev/null || { hush_log "python3 is not installed; cannot install moto"; exit 1; }
  hush_log "installing moto[server] $MOTO_VERSION into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi
echo "$MOTO_BIN"
