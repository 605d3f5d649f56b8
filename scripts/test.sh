#!/usr/bin/env bash
# Runs every test of eBPF Lab on this machine, installing what is missing first.
# usage: sudo scripts/test.sh            (all stages)
#        STAGES="unit selftest" sudo -E scripts/test.sh   (a subset, for development)
# Stages (in order, see STAGE_TABLE): typecheck (tsc per package, import rules, format check), unit (unit + integration tests, real namespaces),
# selftest (every netns lab: fresh → fail → solve → pass, wrong/ caught, alt/ accepted, 3 times,
# 2 labs at once), web (Playwright in Debian's chromium against real labd), vagrant (docker-provider
# VM, real BPF inside), vagrant-libvirt (real VMs: hello-ebpf with a kprobe, pod-to-pod on three
# VMs, the host left as found), vm (QEMU guests with their own kernel: kprobes), mutate (breaks the code on
# purpose and expects the named tests to fail: scripts/mutations.txt).
# A stage whose script is missing or not executable FAILS: it never disappears from a green run.
# Every skip prints `SKIP: <what> — <reason>`; the summary counts them by reason and the last line
# is `N passed, N failed, N skipped` (stages passed and failed; SKIP lines: tests and stages not run).
# Exits non-zero if any stage fails.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root test.sh "$@"
cd "$REPO"
"$REPO/scripts/setup.sh" --with-tests || die "setup failed"

# One line per stage: name, then the command (run with bash -c, from the repo root). A command that
# starts with scripts/ must be an executable file there. Adding a stage is adding a line.
STAGE_TABLE=$(cat <<'EOF'
typecheck  npx tsc -b tsconfig.build.json && node scripts/check-imports.mjs && npx prettier --check $(cat scripts/formatted-paths.txt)
unit       node --import tsx --test $NODE_TEST_FLAGS $(find packages apps labs scripts -name "*.test.ts" -not -path "*/node_modules/*" -not -path "apps/web/e2e/*" | sort)
selftest   node apps/labd/bin/lab.mjs selftest --repeat 3 --jobs 2
web        scripts/test-web.sh
vagrant    scripts/test-vagrant.sh
vagrant-libvirt scripts/test-vagrant-libvirt.sh
vm         scripts/test-vm.sh
mutate     scripts/mutate.sh
EOF
)
ALL_STAGES=$(awk 'NF { print $1 }' <<<"$STAGE_TABLE" | xargs)
# Stages CI does not run by default, each with the reason its SKIP line prints (none now: run one
# with STAGES=<stage> or ELAB_OPTIN_STAGES=1 when it is listed here). vagrant-libvirt left this list
# once green: 589 s at load 4-9 on this 2-core host (hello-ebpf 141 s, pod-to-pod on three VMs
# 418 s, a killed start 21 s), 349 s at load 5 (82 s, 250 s, 11 s); plus, once per new VM image,
# packing and adding its box.
declare -A OPTIN=()
if [ -z "${STAGES:-}" ] && [ "${ELAB_OPTIN_STAGES:-0}" != 1 ]; then
  STAGES=$(for s in $ALL_STAGES; do [ -n "${OPTIN[$s]:-}" ] || echo "$s"; done | xargs)
fi
STAGES=${STAGES:-$ALL_STAGES}
for s in $STAGES; do
  [[ " $ALL_STAGES " == *" $s "* ]] || die "STAGES names \"$s\", which is not a stage; the stages are: $ALL_STAGES"
done

LOG=$(mktemp "${TMPDIR:-/tmp}/elab-test-XXXXXX.log")
passed=() failed=()
stage() {
  local name=$1 cmd=$2 first=${2%% *}
  if [[ " $STAGES " != *" $name "* ]]; then echo "SKIP: stage $name — ${OPTIN[$name]:-not in STAGES=\"$STAGES\"}" | tee -a "$LOG"; return 0; fi
  say "stage $name: $cmd"
  local t0=$SECONDS
  if [[ $first == scripts/* ]] && ! [ -f "$first" -a -x "$first" ]; then
    echo "stage $name: $first is missing or not executable (restore it, or chmod +x $first)" | tee -a "$LOG"
    failed+=("$name"); echo "stage $name: FAILED"; return 0
  fi
  bash -c "$cmd" </dev/null 2>&1 | tee -a "$LOG"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then passed+=("$name"); echo "stage $name: ok ($((SECONDS - t0)) s)"
  else failed+=("$name"); echo "stage $name: FAILED ($((SECONDS - t0)) s)"; fi
}

mapfile -t rows <<<"$STAGE_TABLE"
for row in "${rows[@]}"; do
  read -r name cmd <<<"$row"
  [ -n "$name" ] && stage "$name" "$cmd"
done

say "summary"
echo "stages: ${#passed[@]} passed (${passed[*]:-none}), ${#failed[@]} failed (${failed[*]:-none})"
skips=$(grep -a '^SKIP: ' "$LOG" | sed 's/\x1b\[[0-9;]*m//g')
nskip=$(grep -c . <<<"$skips")
if [ "$nskip" -gt 0 ]; then
  echo "skipped, by reason:"
  sed 's/^.* — //' <<<"$skips" | sort | uniq -c | sort -rn | sed 's/^/  /'
fi
echo "full log: $LOG"
echo "${#passed[@]} passed, ${#failed[@]} failed, $nskip skipped"
[ ${#failed[@]} -eq 0 ]
