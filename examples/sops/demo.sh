#!/usr/bin/env bash
# In-cluster SOPS decryption on the local control plane, end to end:
# a fresh age key, a Secret encrypted with `hush sops`, wrapped into a
# SopsSecret, decrypted by the controller into a Secret.
#
#   bash examples/sops/demo.sh      (from the repository root; runs `hush dev up`)
#
# The key and the encrypted file are written to a temporary directory that is
# removed at the end; the controller is stopped too. `npx hush dev down` stops
# the control plane.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source scripts/lib.sh
export PATH="$(hush_ensure_node):$PATH"
hush() { node "$root/bin/hush.js" "$@"; }

hush dev up 2>&1 | tail -1
eval "$(hush dev env)"
kubectl="$(bash scripts/build-k8s.sh)/kubectl"
work=$(mktemp -d)
ctl=
cleanup() {
  [[ -n "$ctl" ]] && kill "$ctl" 2>/dev/null && wait "$ctl" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
# `kubectl wait --for=condition` fails outright while an object has no conditions yet; poll instead.
wait_condition() { # resource condition
  for _ in $(seq 1 120); do
    [[ "$("$kubectl" get "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}" 2>/dev/null)" == True ]] && return 0
    sleep 0.5
  done
  echo "$1 did not become $2" >&2
  "$kubectl" get "$1" -o yaml >&2 || true
  return 1
}

echo "== an age key (kept in $work, never in Git)"
node --input-type=module -e "
  import { generateIdentity, identityToRecipient } from 'age-encryption';
  const id = await generateIdentity();
  process.stdout.write('# public key: ' + await identityToRecipient(id) + '\n' + id + '\n');
" > "$work/age.agekey"
recipient=$(sed -n 's/^# public key: //p' "$work/age.agekey")

echo "== encrypting examples/sops/db-secret.yaml with hush sops (rules from .sops.yaml)"
sed "s/age1example[x]*/$recipient/" examples/sops/.sops.yaml > "$work/.sops.yaml"
cp examples/sops/db-secret.yaml "$work/db-credentials.yaml"
(cd "$work" && hush sops encrypt -i db-credentials.yaml)
grep -E 'password|mac' "$work/db-credentials.yaml"

echo "== installing the CRDs, the key Secret and the SopsSecret"
"$kubectl" apply -k deploy/crds/ >/dev/null
wait_condition crd/sopssecrets.secrets.hush.dev Established
"$kubectl" create secret generic sops-age --from-file=age.agekey="$work/age.agekey" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
bash examples/sops/to-sopssecret.sh "$work/db-credentials.yaml" > "$work/sopssecret.yaml"
"$kubectl" apply -f "$work/sopssecret.yaml"

echo "== starting the controller"
node bin/hush.js controller --metrics-addr 0 --health-addr 0 > "$work/controller.log" 2>&1 &
ctl=$!
wait_condition sopssecret/db-credentials Ready
"$kubectl" get sopssecrets
echo
echo "== the Secret db-credentials (decoded):"
"$kubectl" get secret db-credentials -o go-template='{{range $k, $v := .data}}{{printf "  %s=%s\n" $k ($v | base64decode)}}{{end}}'
