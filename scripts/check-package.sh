#!/usr/bin/env bash
# Shows that what Hush ships holds no test support: the compiled dist/ (which is
# also the image's code: the Dockerfile's build stage runs the same
# `tsc -p tsconfig.build.json`), the npm package (`npm pack`), and the image's
# final stage (it may copy only dist, bin, package.json and node_modules).
#
# It works on a copy of the work tree in a temporary dir, so the checkout's own
# dist/ is never created or replaced: bin/hush.js prefers dist/ over src/, and a
# stale one left behind would silently run old code.
#
# Usage: scripts/check-package.sh [--install]
#   --install  also installs the packed tarball into an empty project and runs
#              `npx hush --help` from it (needs the npm registry).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$HUSH_ROOT"
node_bin=$(hush_ensure_node) || exit 1
export PATH="$node_bin:$PATH"

# The one list of what marks test support in a shipped path (extended regexes,
# matched case-insensitively against each path of dist/ and of the package).
forbidden=(
  '(^|/)testing(/|$)'
  '\.test\.'
  '(^|/)test/'
  '(^|/)bench/'
  '(^|/)testdata/'
  '(^|/)template/(.*/)?oracle'
  'corpus'
  'fuzz'
  'differential'
  'fakeAzure'
  'fakeCloudKms'
  'memoryKube'
  'devenvKube'
  'testbed'
  'awsproxy'
  'moto'
  'harness'
  'global-setup'
)
# What the package must contain for `hush` to run at all.
required=(bin/hush.js dist/cli/main.js dist/devenv/index.js package.json)

install=false
[[ ${1:-} == --install ]] && install=true

problems=0
fail() {
  echo "[check-package] $*" >&2
  problems=$((problems + 1))
}

pattern=$(IFS='|'; echo "${forbidden[*]}")

work=$(mktemp -d "${TMPDIR:-/tmp}/hush-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
copy="$work/hush"
mkdir -p "$copy"
# Tracked and new files as they are now (uncommitted edits included), not dist/ or node_modules.
git ls-files -z --cached --others --exclude-standard |
  grep -zv -E '^(node_modules|dist)(/|$)' |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  tar -c --null -T - -f - | tar -x -C "$copy" -f -
ln -s "$(readlink -f node_modules)" "$copy/node_modules"

echo "[check-package] building dist/ with tsconfig.build.json" >&2
if ! (cd "$copy" && node_modules/.bin/tsc -p tsconfig.build.json); then
  fail "the build failed"
fi
while IFS= read -r path; do
  fail "dist/ contains test support: $path"
done < <(cd "$copy" && find dist -type f 2>/dev/null | grep -i -E "$pattern")

# The scripts are skipped: dist/ was built above, and prepack would build it again.
if ! (cd "$copy" && npm pack --dry-run --json --ignore-scripts >"$work/pack.json" 2>"$work/pack.err"); then
  cat "$work/pack.err" >&2
  fail "npm pack --dry-run failed"
fi
packed=$(node -e '
  const [pack] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const f of pack.files) console.log(f.path);
' "$work/pack.json") || fail "cannot read the output of npm pack"
while IFS= read -r path; do
  [[ -n $path ]] && fail "the npm package contains test support: $path"
done < <(grep -i -E "$pattern" <<<"$packed")
while IFS= read -r path; do
  [[ -n $path ]] && fail "the npm package ships src/ (it runs from dist/): $path"
done < <(grep -E '^src/' <<<"$packed")
for f in "${required[@]}"; do
  grep -qxF "$f" <<<"$packed" || fail "the npm package lacks $f"
done
echo "[check-package] npm package: $(wc -l <<<"$packed") files" >&2

# The image: the last stage is what ships. Each COPY there may bring only these.
allowed_image_paths='^(/app/)?(dist|bin|node_modules|package\.json)/?$'
final_stage=$(awk 'toupper($1) == "FROM" { stage = "" } { stage = stage $0 "\n" } END { printf "%s", stage }' Dockerfile)
grep -qiE '^[[:space:]]*ADD[[:space:]]' <<<"$final_stage" && fail "Dockerfile: the final stage uses ADD; only COPY of dist, bin, package.json, node_modules"
copies=0
while read -r -a words; do
  copies=$((copies + 1))
  args=()
  for w in "${words[@]:1}"; do [[ $w == --* ]] || args+=("$w"); done
  # All but the last word are sources.
  for src in "${args[@]:0:${#args[@]}-1}"; do
    grep -qE "$allowed_image_paths" <<<"$src" || fail "Dockerfile: the final stage copies $src (allowed: dist, bin, package.json, node_modules)"
  done
done < <(grep -iE '^[[:space:]]*COPY[[:space:]]' <<<"$final_stage")
(( copies > 0 )) || fail "Dockerfile: found no COPY in the final stage"
grep -qE 'tsc -p tsconfig\.build\.json' Dockerfile || fail "Dockerfile: the build stage does not run tsc -p tsconfig.build.json, so checking dist/ says nothing about the image"

if $install && (( problems == 0 )); then
  echo "[check-package] installing the package into an empty project" >&2
  (cd "$copy" && npm pack --ignore-scripts --pack-destination "$work" >/dev/null 2>"$work/pack.err") || { cat "$work/pack.err" >&2; fail "npm pack failed"; }
  mkdir -p "$work/consumer"
  if (cd "$work/consumer" && npm init -y >/dev/null && npm install --no-audit --no-fund "$work"/hush-*.tgz >"$work/install.log" 2>&1); then
    help=$(cd "$work/consumer" && npx --no-install hush --help 2>&1)
    grep -q 'hush' <<<"$help" && grep -qi 'usage' <<<"$help" || fail "npx hush --help from the installed package printed: $help"
    echo "[check-package] npx hush --help from the installed package prints: $(head -1 <<<"$help")" >&2
  else
    cat "$work/install.log" >&2
    fail "npm install of the packed tarball failed"
  fi
fi

if (( problems > 0 )); then
  echo "[check-package] FAILED: $problems problem(s)" >&2
  exit 1
fi
echo "[check-package] dist/, the npm package and the image hold no test support" >&2
