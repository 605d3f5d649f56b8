# Shared by the image builders, scripts/build-vagrant-image.sh and scripts/build-vm-image.sh (both
# list this file among their INPUTS: a change here is a new image). Set BUILDER (the name log lines
# start with) and CACHE_DIR before sourcing it.
log() { printf '%s: %s\n' "$BUILDER" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
# The builder's header comment (line 2 up to `set -euo`) is its --help.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0; }

# parse_flags "--flag=var ..." ARG...: each var starts at 0 and is 1 when its --flag is among the
# ARGs; -h/--help prints the usage; any other ARG is an error that names it.
parse_flags() {
  local spec=$1 pair arg known
  shift
  for pair in $spec; do printf -v "${pair#*=}" 0; done
  for arg in "$@"; do
    case "$arg" in -h|--help) usage ;; esac
    known=0
    for pair in $spec; do
      [ "$arg" = "${pair%%=*}" ] && printf -v "${pair#*=}" 1 && known=1
    done
    [ "$known" = 1 ] || die "unknown argument '$arg' (see --help)"
  done
}

# inputs_tag REPO FACTS FILE...: the first 12 hex digits of a SHA-256 over FACTS (one line of
# settings) and every FILE (paths relative to REPO) with its name: the image's tag.
inputs_tag() {
  local repo=$1 facts=$2 text f
  shift 2
  text=$(
    cd "$repo"
    printf '%s\n' "$facts"
    for f in "$@"; do printf '== %s\n' "$f"; cat "$f"; done
  ) || die "cannot read the build inputs"
  printf '%s' "$text" | sha256sum | cut -c1-12
}

need_build_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mounts need it): sudo $0"
}

# The chroot a builder provisions: WORK is its scratch directory, MOUNTED what is mounted under it.
WORK='' MOUNTED=()
unmount_all() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" || true
  done
  MOUNTED=()
}
# shellcheck disable=SC2317  # invoked by a trap
cleanup_work() {
  unmount_all
  [ -n "$WORK" ] || return 0
  # Never delete through a mount: the host's /dev is bound in there.
  if findmnt -rn -o TARGET | grep -qF "$WORK/"; then
    log "left $WORK in place: something is still mounted under it"
  else
    rm -rf "$WORK"
  fi
}

# chroot_prepare ROOTFS: what running apt and the provisioning scripts in ROOTFS needs (DNS, /proc,
# /dev, the shared .deb cache), and no daemon may start inside it.
chroot_prepare() {
  local rootfs=$1
  cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  mount -t proc proc "$rootfs/proc"; MOUNTED+=("$rootfs/proc")
  mount --bind /dev "$rootfs/dev"; MOUNTED+=("$rootfs/dev")
  mount --bind /dev/pts "$rootfs/dev/pts"; MOUNTED+=("$rootfs/dev/pts")
  # Downloaded .debs outlive the build, so a rebuild fetches nothing it has.
  mkdir -p "$CACHE_DIR/apt-archives"
  chown "$(chroot "$rootfs" id -u _apt 2>/dev/null || echo 0)" "$CACHE_DIR/apt-archives"
  mount --bind "$CACHE_DIR/apt-archives" "$rootfs/var/cache/apt/archives"
  MOUNTED+=("$rootfs/var/cache/apt/archives")
}

# chroot_provision ROOTFS REPO STEP... [-- VAR=VALUE...]: runs scripts/provision/STEP.sh (with
# provision/common.sh beside it) in ROOTFS, one after another, in a clean environment plus VARs.
chroot_provision() {
  local rootfs=$1 repo=$2 steps=() env=() step t
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do steps+=("$1"); shift; done
  [ $# -eq 0 ] || { shift; env=("$@"); }
  mkdir -p "$rootfs/tmp/ebpf-lab-provision"
  cp "$repo/scripts/provision/common.sh" "$rootfs/tmp/ebpf-lab-provision/"
  for step in "${steps[@]}"; do
    cp "$repo/scripts/provision/$step.sh" "$rootfs/tmp/ebpf-lab-provision/"
    t=$(now)
    log "chroot: scripts/provision/$step.sh"
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 "${env[@]}" \
      /bin/bash "/tmp/ebpf-lab-provision/$step.sh" >&2 || die "scripts/provision/$step.sh failed in the chroot"
    log "$step done in $(took "$t")"
  done
}

# chroot_finish ROOTFS: unmounts, and leaves nothing of the build or of this host in the image:
# no provisioning scripts, no daemon block, no SSH host keys (each guest makes its own), no apt
# lists, no machine id.
chroot_finish() {
  local rootfs=$1
  unmount_all
  rm -rf "$rootfs/tmp/ebpf-lab-provision" "$rootfs/usr/sbin/policy-rc.d" \
    "$rootfs"/etc/ssh/ssh_host_*_key* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/machine-id"
}
