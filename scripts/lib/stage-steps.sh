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
