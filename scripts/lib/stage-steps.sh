# Shared by the CI stage scripts that run several steps (scripts/test-{vm,vagrant,vagrant-libvirt}.sh):
# `step NAME CMD...` runs one step, times it and goes on when it fails; `finish` prints every
# step's time, the total, and exits non-zero when any failed; `stop_if_failed` ends the stage with
# that summary when a step later ones need (a daemon, an image) has failed.
# usage (after common.sh): source "$(dirname "$0")/lib/stage-steps.sh" STAGE-NAME
STAGE_NAME=${1:?usage: source scripts/lib/stage-steps.sh STAGE-NAME}
failed=() timings=()
t_all=$SECONDS
step() {
  local name=$1; shift
  say "$STAGE_NAME: $name"
  local t0=$SECONDS
  if "$@"; then timings+=("$name: ok ($((SECONDS - t0)) s)")
  else timings+=("$name: FAILED ($((SECONDS - t0)) s)"); failed+=("$name"); fi
}
finish() {
  say "$STAGE_NAME: summary"
  printf '  %s\n' "${timings[@]}"
  echo "  total: $((SECONDS - t_all)) s"
  if [ ${#failed[@]} -gt 0 ]; then echo "$STAGE_NAME stage FAILED: ${failed[*]}"; exit 1; fi
  echo "$STAGE_NAME stage ok"
}
stop_if_failed() { [ ${#failed[@]} -eq 0 ] || finish; }
# The lab CLI of this tree, as the stages drive it.
lab() { node "$REPO/apps/labd/bin/lab.mjs" "$@"; }

# private_state_dir DRIVER: this run's own ELAB_STATE_DIR, so it sees its own instances only; on
# exit whatever is left of them is reaped (lab reap --all on that dir) and the dir removed.
private_state_dir() {
  STAGE_DRIVER=$1
  ELAB_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/elab-$1-ci-XXXXXX")
  export ELAB_STATE_DIR
  trap 'lab reap --all --driver "$STAGE_DRIVER" >/dev/null 2>&1 || true; rm -rf "$ELAB_STATE_DIR"' EXIT
}
# driver_tests DRIVER: the driver's own test files (apps/labd/src/drivers/DRIVER), unit and integration.
# shellcheck disable=SC2046,SC2086 # NODE_TEST_FLAGS (common.sh) and the file list are lists
driver_tests() { node --import tsx --test $NODE_TEST_FLAGS $(find "$REPO/apps/labd/src/drivers/$1" -name '*.test.ts' | sort); }
