#!/usr/bin/env bash
# Runs every test of eBPF Lab on this machine, installing what is missing first.
# usage: sudo scripts/test.sh            (all stages)
#        STAGES="unit selftest" sudo -E scripts/test.sh   (a subset, for development)
# Stages: typecheck, unit (unit + integration tests, real namespaces), selftest (every netns lab:
# fresh → fail → solve → pass, wrong/ caught, alt/ accepted, 3 times, 2 labs at once), web (Playwright in Debian's chromium against real labd),
# vagrant (docker-provider VM, real BPF inside), vm (QEMU guests with their own kernel: kprobes). Exits non-zero if any stage fails.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root test.sh "$@"
cd "$REPO"
"$REPO/scripts/setup.sh" --with-tests || die "setup failed"

STAGES=${STAGES:-"typecheck unit selftest web vagrant vm"}
passed=() failed=()
stage() {
  local name=$1; shift
  [[ " $STAGES " == *" $name "* ]] || return 0
  say "stage $name: $*"
  local t0=$SECONDS
  if "$@"; then passed+=("$name"); echo "stage $name: ok ($((SECONDS - t0)) s)"
  else failed+=("$name"); echo "stage $name: FAILED ($((SECONDS - t0)) s)"; fi
}


stage typecheck bash -c 'npx tsc -p packages/protocol && npx tsc -p tsconfig.json && npx tsc -p apps/web --noEmit'
# One file at a time: the integration tests bring up real labs and the machine may have 2 cores.
stage unit bash -c 'node --import tsx --test --test-concurrency=1 --test-reporter=spec $(find packages apps labs -name "*.test.ts" -not -path "*/node_modules/*" -not -path "apps/web/e2e/*" | sort)'
stage selftest node apps/labd/bin/lab.mjs selftest --repeat 3 --jobs 2
if [ -x scripts/test-web.sh ]; then stage web scripts/test-web.sh; fi
if [ -x scripts/test-vagrant.sh ]; then stage vagrant scripts/test-vagrant.sh; fi
if [ -x scripts/test-vm.sh ]; then stage vm scripts/test-vm.sh; fi

say "summary"
echo "stages: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ] || { echo "failed stages: ${failed[*]}"; exit 1; }
