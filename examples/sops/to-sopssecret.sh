#!/usr/bin/env bash
# Wraps a SOPS-encrypted Secret manifest into a SopsSecret, byte for byte
# (the MAC covers the file as sops wrote it; a block scalar keeps it intact).
#
#   examples/sops/to-sopssecret.sh FILE [NAME] [KEY_SECRET] > sopssecret.yaml
#
# NAME defaults to the file name without its extension; KEY_SECRET, the Secret
# with the `*.agekey` entries (or `sops.vault-token`), defaults to sops-age.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 FILE [NAME] [KEY_SECRET]" >&2
  exit 2
fi
file=$1
name=${2:-$(basename "$file" | sed -E 's/\.(enc\.)?(ya?ml|json)$//')}
keys=${3:-sops-age}
if ! grep -q -e '^ *mac: ENC\[' -e '"mac": "ENC\[' "$file"; then
  echo "$file is not SOPS-encrypted (no sops mac); encrypt it first: hush sops encrypt -i $file" >&2
  exit 1
fi
printf 'apiVersion: secrets.hush.dev/v1alpha1\nkind: SopsSecret\nmetadata:\n  name: %s\nspec:\n  decryption:\n    secretRef:\n      name: %s\n  encrypted: |\n' "$name" "$keys"
sed 's/^/    /' "$file"
