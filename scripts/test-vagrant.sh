#!/usr/bin/env bash
# CI stage "vagrant": the vagrant lab driver for real, on Vagrant's docker provider.
#   1. dockerd running (scripts/start-dockerd.sh starts it where nothing else does)
#   2. the lab image (scripts/build-vagrant-image.sh: 0.1 s when built, ~15 s from the cached
#      rootfs tarball, ~2 min cold)
#   3. the driver's tests: unit, and integration against real containers (exec over the one SSH
#      connection, timeouts, files, shell, a halfway-failing `vagrant up`, reap after a crash)
#   4. lab selftest --driver vagrant hello-ebpf: fresh → every check fails → solve → every check
#      passes → down, with real BPF programs inside the container
#   5. lab reap, then no container of this run may be left
# Prints how long each step took; exits non-zero when any fails.
# usage: sudo scripts/test-vagrant.sh     (VAGRANT_SELFTEST_REPEAT=N to repeat the selftest)
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root test-vagrant.sh "$@"
cd "$REPO"
source scripts/lib/stage-steps.sh vagrant

containers() { docker ps -a --filter label=org.ebpf-lab.driver=vagrant --format '{{.Names}}' | sort; }

step dockerd scripts/start-dockerd.sh
stop_if_failed
image() { LAB_DOCKER_IMAGE=$(scripts/build-vagrant-image.sh) && echo "image: $LAB_DOCKER_IMAGE"; }
step image image
stop_if_failed

# A private state dir: this run's instances only, and whatever is left of them is reaped on exit.
private_state_dir vagrant
export ELAB_VAGRANT_PROVIDER=docker
export ELAB_VAGRANT_INTEGRATION=1 # vagrant-integration.test.ts runs here, with dockerd up (skipped in the unit stage)
before=$(containers)

step tests driver_tests vagrant
step selftest lab selftest --driver vagrant --reference-only --repeat "${VAGRANT_SELFTEST_REPEAT:-1}" hello-ebpf
step reap lab reap --driver vagrant
leftovers() {
  local left
  left=$(comm -13 <(echo "$before") <(containers))
  [ -z "$left" ] || { echo "containers left behind by this run: $left"; return 1; }
  echo "no container of this run is left"
}
step leftovers leftovers
finish
