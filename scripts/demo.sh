#!/usr/bin/env bash
# The whole thing on the local default, in one command (`npm run demo`):
# a local control plane + OpenBao, the CRDs, example manifests, the controller,
# and the synced Secret printed. The controller keeps running until Ctrl-C;
# `npx hush dev down` stops the control plane afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
source scripts/lib.sh
export PATH="$(hush_ensure_node):$PATH"
hush() { node bin/hush.js "$@"; }

hush dev up
eval "$(hush dev env)"
kubectl="$(bash scripts/build-k8s.sh)/kubectl"

echo "== installing CRDs"
"$kubectl" apply -k deploy/crds/ >/dev/null
"$kubectl" wait --for=condition=Established crd --all --timeout=60s >/dev/null

echo "== writing demo secrets into OpenBao ($VAULT_ADDR)"
curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" -X POST "$VAULT_ADDR/v1/secret/data/demo/db" \
  -d '{"data":{"username":"app","password":"correct-horse-battery-staple"}}' >/dev/null
curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" -X POST "$VAULT_ADDR/v1/secret/data/demo/app" \
  -d '{"data":{"API_URL":"https://api.example.test","FEATURE_FLAG":"on"}}' >/dev/null

echo "== applying examples/openbao"
"$kubectl" create secret generic openbao-token --from-literal=token="$VAULT_TOKEN" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
sed "s#http://127.0.0.1:8200#$VAULT_ADDR#" examples/openbao/secretstore.yaml | "$kubectl" apply -f - >/dev/null
"$kubectl" apply -f examples/openbao/externalsecret.yaml >/dev/null

echo "== starting the controller (logs in .hush/demo-controller.log)"
mkdir -p .hush
node bin/hush.js controller --metrics-addr 127.0.0.1:0 --health-addr 0 > .hush/demo-controller.log 2>&1 &
ctl=$!
trap 'kill $ctl 2>/dev/null; wait $ctl 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 60); do
  if "$kubectl" get secret db-credentials >/dev/null 2>&1; then break; fi
  sleep 0.5
done
"$kubectl" wait --for=condition=Ready externalsecret/db-credentials --timeout=30s
echo
"$kubectl" get secretstores,externalsecrets
echo
echo "== the synced Secret db-credentials (decoded):"
"$kubectl" get secret db-credentials -o go-template='{{range $k, $v := .data}}{{printf "  %s=%s\n" $k ($v | base64decode)}}{{end}}'
echo
echo "The controller is running. Try: eval \"\$(npx hush dev env)\"; then change secret/demo/db in OpenBao"
echo "or edit the Secret, and watch it follow. Ctrl-C stops the controller; 'npx hush dev down' the cluster."
if [[ -n "${HUSH_DEMO_NO_WAIT:-}" ]]; then exit 0; fi
wait $ctl
