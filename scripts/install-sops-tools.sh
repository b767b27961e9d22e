#!/usr/bin/env bash
# Installs the reference tools the SOPS interop tests compare Hush against:
# the real `sops` and `age` binaries, built from the Go module proxy, and
# (with --moto) moto's AWS KMS server in a venv. Idempotent: a tool already
# present at the pinned version is not rebuilt. Prints the bin directory.
#
#   bash scripts/install-sops-tools.sh           # sops + age
#   bash scripts/install-sops-tools.sh --moto    # also moto[server]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SOPS_VERSION=v3.13.2
AGE_VERSION=v1.3.1   # v1.1.0 carries a `replace` directive and cannot be `go install`ed
MOTO_VERSION=5.2.5
GO_TOOLS="$HUSH_CACHE_DIR/bin/go-tools"
MOTO_VENV="$HUSH_CACHE_DIR/venv/moto-$MOTO_VERSION"

want_moto=false
for arg in "$@"; do
  case "$arg" in
    --moto) want_moto=true ;;
    *) echo "usage: $0 [--moto]" >&2; exit 2 ;;
  esac
done

mkdir -p "$GO_TOOLS"
# A stamp per tool records the version built, so a pin bump rebuilds.
install_go_tool() {
  local name=$1 pkg=$2 version=$3
  local stamp="$GO_TOOLS/.$name.version"
  if [[ -x "$GO_TOOLS/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    return 0
  fi
  command -v go >/dev/null || { hush_log "go is not installed; cannot build $name"; return 1; }
  hush_log "building $name $version into $GO_TOOLS"
  GOBIN="$GO_TOOLS" GOFLAGS=-buildvcs=false go install "$pkg@$version" >&2
  echo "$version" >"$stamp"
}

install_go_tool sops github.com/getsops/sops/v3/cmd/sops "$SOPS_VERSION"
install_go_tool age filippo.io/age/cmd/age "$AGE_VERSION"
install_go_tool age-keygen filippo.io/age/cmd/age-keygen "$AGE_VERSION"

if $want_moto; then
  if [[ ! -x "$MOTO_VENV/bin/moto_server" ]]; then
    hush_log "installing moto[server] $MOTO_VERSION into $MOTO_VENV"
    python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  fi
fi
echo "$GO_TOOLS"
