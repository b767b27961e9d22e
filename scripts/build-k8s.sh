#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the Go module
# proxy through the wrapper module in tools/k8s, and etcd through tools/etcd.
# Binaries are cached outside the work tree, keyed by Kubernetes version, etcd
# version and Go version, so the multi-minute build happens once per machine.
#
# Usage: scripts/build-k8s.sh        prints the cache directory on the last line
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
k8s_version=$(awk '/^require k8s.io\/kubernetes/ {print $3}' "$here/tools/k8s/go.mod")
etcd_version=$(awk '/^require go.etcd.io\/etcd\/server\/v3/ {print $3}' "$here/tools/etcd/go.mod")
go_version=$(go env GOVERSION)
cache_root=${HUSH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hush}
out="$cache_root/bin/k8s-$k8s_version-etcd-$etcd_version-$go_version"
mkdir -p "$out"
# One build at a time per output dir: `npm test`'s setup and a `hush dev up` in
# another terminal would otherwise both compile (and race on the same .tmp).
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "waiting for another build into $out to finish" >&2
  flock 9
fi

minor=${k8s_version#v1.}; minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version \
 -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

# Progress: go build -v names each package as it compiles, one bare import path
# per line; we count those so a person watching a cold build (several minutes
# on 2 cores) sees it move. Module downloads are counted too. Any other line is
# a real message (a "# pkg" header, "file.go:12:3: ..." compiler errors, linker
# or "go:" errors) and is shown as is. Matching on words such as "error" would
# also catch package paths like k8s.io/apimachinery/pkg/api/errors.
progress() {
  local what=$1 n=0 d=0
  while IFS= read -r line; do
    if [[ $line =~ ^[A-Za-z0-9._~/+-]+$ ]]; then
      n=$((n + 1)); if (( n % 100 == 0 )); then echo "  $what: $n packages compiled" >&2; fi
    elif [[ $line == "go: downloading "* ]]; then
      d=$((d + 1)); if (( d % 50 == 0 )); then echo "  $what: $d modules downloaded" >&2; fi
    else
      echo "$line" >&2
    fi
  done
}

build() { # name module-dir package
  local name=$1 dir=$2 pkg=$3
  if [[ -x "$out/$name" ]]; then return 0; fi
  echo "building $name ($pkg) into $out — one-time, takes minutes on a cold cache" >&2
  local t0=$SECONDS
  (cd "$dir" && go build -mod=mod -v -trimpath -ldflags "$ldflags" -o "$out/$name.tmp" "$pkg" 2>&1) | progress "$name"
  [[ ${PIPESTATUS[0]} -eq 0 && -x "$out/$name.tmp" ]] || { echo "build of $name failed" >&2; exit 1; }
  mv "$out/$name.tmp" "$out/$name"
  echo "built $name in $((SECONDS - t0))s" >&2
}

build etcd "$here/tools/etcd" go.etcd.io/etcd/server/v3
build kube-apiserver "$here/tools/k8s" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager "$here/tools/k8s" k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl "$here/tools/k8s" k8s.io/kubernetes/cmd/kubectl
echo "$out"
