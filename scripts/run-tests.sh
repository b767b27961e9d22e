#!/usr/bin/env bash
# `npm test` (after `npm run setup` as pretest): type-check, lint, the package
# check, then every unit and end-to-end test with Node's runner. The end-to-end
# tests share one throwaway control plane that test/e2e/global-setup.ts starts
# in a temporary state dir; the trap below stops it even if the runner dies or is
# interrupted, and keeps its logs when something failed.
#
# All steps always run, so one report shows every problem; the exit
# status is non-zero when any failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$HUSH_ROOT"
node_bin=$(hush_ensure_node) || exit 1
export PATH="$node_bin:$PATH"

failed=()

hush_log "type-check"
node_modules/.bin/tsc -p tsconfig.json --noEmit || failed+=(type-check)

hush_log "lint"
node_modules/.bin/eslint --max-warnings 0 src test bench || failed+=(lint)

hush_log "package (no test support in dist/, the npm package or the image)"
bash scripts/check-package.sh || failed+=(package)

state_dir=$(mktemp -d "${TMPDIR:-/tmp}/hush-test-XXXXXX")
cleanup() {
  # A no-op when the global teardown already stopped everything.
  HUSH_DOWN_DIR="$state_dir" node --input-type=module \
    -e "const m = await import('./src/devenv/index.ts'); await m.down({ stateDir: process.env.HUSH_DOWN_DIR });" \
    || echo "[hush test] could not stop the test control plane in $state_dir" >&2
  if (( ${#failed[@]} == 0 )); then
    rm -rf "$state_dir"
  else
    echo "[hush test] logs of the test control plane: $state_dir/logs" >&2
  fi
}
trap cleanup EXIT
trap 'failed+=(interrupted); exit 130' INT TERM

hush_log "tests"
HUSH_TEST_STATE_DIR="$state_dir" HUSH_KEEP_TEST_STATE=1 node --test \
  --test-concurrency=1 \
  --test-timeout=180000 \
  --test-reporter=spec \
  --test-global-setup=test/e2e/global-setup.ts \
  'src/**/*.test.ts' 'test/e2e/**/*.test.ts' 'test/interop/**/*.test.ts' || failed+=(tests)

if (( ${#failed[@]} > 0 )); then
  hush_log "FAILED: ${failed[*]}"
  exit 1
fi
hush_log "all passed"
