#!/usr/bin/env bash
# CI stage "vm": the vm lab driver for real, QEMU guests with their own kernel.
#   1. the guest image (scripts/build-vm-image.sh: 0.1 s when built, ~3-5 min cold on 2 cores)
#   2. the driver's tests: unit, and integration against real guests (own kernel with kprobes,
#      exec/files/shell over the one SSH connection, host invisible, a guest that never boots, a
#      boot timeout, reap after a crash, reattach from a new process, the warm pool: a guest ready
#      with SSH master and exec agent before it is taken, finished by a labd restarted mid-warm)
#      and a full disk (vm-disk-full.test.ts: a host state dir without room, a guest filled up;
#      vm-host-disk-full.test.ts: the host disk fills under a running guest, which pauses, says so,
#      resumes once freed, and goes with down), and the exec agent (agent-client.test.ts, plus
#      concurrency and a killed agent in a real guest in vm-integration.test.ts)
#   3. lab selftest --driver vm --reference-only $VM_SELFTEST_LABS (default: hello-ebpf
#      iptables-vs-ebpf pod-to-pod): fresh → every check fails → solve → every check passes (the
#      hello check requires the real kprobe there; the other two build their pods as namespaces
#      in the guest) → down. The wrong/alt variants (a fresh lab each) are the selftest stage's
#      job on netns: on TCG they would boot 16 guests for hello-ebpf alone.
#   4. two learners on vm labs in Chromium through the web (apps/web/e2e/vm/): terminal, Check,
#      Reset onto a fresh guest (needs the web build: the web stage makes it, or it is made here)
#   5. lab reap, then no QEMU, overlay or socket of this run may be left
# Prints how long each step took; exits non-zero when any fails.
# usage: sudo scripts/test-vm.sh     (VM_SELFTEST_LABS="hello-ebpf" for fewer labs)
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root test-vm.sh "$@"
cd "$REPO"
source scripts/lib/stage-steps.sh vm

# QEMU renames itself to el<id> (-name process=…), so match the command line, not the name. On a
# host shared with other users of the vm driver, their guests started meanwhile count too.
qemus() { pgrep -af 'qemu-system.*guest=el' | grep -o 'guest=el[a-z0-9]\{6\}' | sort || true; }

step image scripts/build-vm-image.sh
stop_if_failed

# A private state dir: this run's instances only; whatever is left of them is reaped on exit.
private_state_dir vm
export ELAB_VM_INTEGRATION=1
before=$(qemus)

step tests driver_tests vm
# One process per lab, all at once: each guest is one emulated vCPU, so on TCG the labs' wall times
# overlap instead of adding up (the accelerator was probed and cached by the tests above).
selftests() {
  local ids=() pids=() i rc=0
  # shellcheck disable=SC2206  # a list of lab ids
  ids=(${VM_SELFTEST_LABS:-hello-ebpf iptables-vs-ebpf pod-to-pod})
  for i in "${ids[@]}"; do
    lab selftest --driver vm --reference-only "$i" >"$ELAB_STATE_DIR/selftest-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!ids[@]}"; do
    wait "${pids[$i]}" || rc=1
    sed "s/^/[${ids[$i]}] /" "$ELAB_STATE_DIR/selftest-${ids[$i]}.log"
  done
  return $rc
}
step selftest selftests
# shellcheck disable=SC2086 # a list of flags
browser() { (cd apps/web && node --import tsx --test $NODE_TEST_FLAGS e2e/vm/*.test.ts); }
step browser browser
step reap lab reap --driver vm
leftovers() {
  local left files
  left=$(comm -13 <(echo "$before") <(qemus))
  [ -z "$left" ] || { echo "QEMU left behind by this run: $left"; return 1; }
  files=$(find "$ELAB_STATE_DIR" /tmp -maxdepth 3 \( -name 'el??????.qcow2' -o -name 'el??????.sock' -o -name 'el??????.pid' \
    -o -name 'el??????.qmp' -o -name 'el??????-*.exec' \) -newer "$ELAB_STATE_DIR" 2>/dev/null)
  [ -z "$files" ] || { echo "files left behind by this run: $files"; return 1; }
  echo "no QEMU, overlay, pidfile or socket (ssh control, exec forward, QMP) of this run is left"
}
step leftovers leftovers
finish
