#!/usr/bin/env bash
# Builds the vm driver's guest image from Debian packages only: the shared lab rootfs
# (scripts/build-vagrant-image.sh --rootfs-only: debootstrap + provision/{ebpf-tools,lab-user}.sh,
# one builder for both drivers) plus provision/vm-guest.sh (cloud kernel, headers, our PID 1),
# written as
#   base.qcow2   ext4 root filesystem (each lab gets a copy-on-write overlay on it, never a copy)
#   vmlinuz      the guest kernel (Debian linux-image-cloud-amd64: kprobes, BTF, virtio as modules)
#   initrd.img   a tiny busybox initramfs with just the modules to mount /dev/vda
# in $LAB_CACHE_DIR/vm-<tag>/, tag = hash of every input; an image with that tag is never rebuilt.
#
# Usage: scripts/build-vm-image.sh [--print-dir] [--force] [--vagrant-box]
#   --print-dir    print the image directory the current inputs give, build nothing
#   --force        rebuild the VM image (the shared rootfs tarball is reused when cached)
#   --vagrant-box  second output: the same image as a vagrant-libvirt box, added to Vagrant
#                  (scripts/vm/vagrant-box.sh); prints the box name instead of the directory
# Prints the image directory as the only line on stdout; progress and timings go to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CACHE_DIR=${LAB_CACHE_DIR:-/var/cache/ebpf-lab}
DISK_SIZE=${LAB_VM_DISK_SIZE:-8G}
INPUTS=(scripts/build-vm-image.sh scripts/provision/common.sh scripts/provision/vm-guest.sh
  scripts/vm/guest-init.sh scripts/vm/initramfs-init.sh)
# Enough to find the root disk; everything else loads from the root filesystem later.
INITRAMFS_MODULES=(virtio_pci virtio_blk ext4)

log() { printf 'build-vm-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

print_only=0 force=0 box=0
for arg in "$@"; do
  case "$arg" in
    --print-dir) print_only=1 ;;
    --vagrant-box) box=1 ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument '$arg' (see --help)" ;;
  esac
done

if [ "$box" = 1 ]; then
  rest=()
  for arg in "$@"; do [ "$arg" = --vagrant-box ] || rest+=("$arg"); done
  dir=$("$0" "${rest[@]}" | tail -n1) || exit 1
  [ "$print_only" = 1 ] && exec "$repo/scripts/vm/vagrant-box.sh" --print-name "$dir"
  exec "$repo/scripts/vm/vagrant-box.sh" "$dir"
fi

rootfs_ref=$("$repo/scripts/build-vagrant-image.sh" --print-ref) || die "cannot compute the rootfs tag"
tag=$(
  cd "$repo"
  printf 'rootfs=%s disk=%s modules=%s\n' "$rootfs_ref" "$DISK_SIZE" "${INITRAMFS_MODULES[*]}"
  for f in "${INPUTS[@]}"; do printf '== %s\n' "$f"; cat "$f"; done
) || die "cannot read the build inputs"
tag=$(printf '%s' "$tag" | sha256sum | cut -c1-12)
out=$CACHE_DIR/vm-$tag
if [ "$print_only" = 1 ]; then echo "$out"; exit 0; fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mounts need it): sudo $0"
for t in qemu-img:qemu-utils mkfs.ext4:e2fsprogs cpio:cpio modprobe:kmod; do
  command -v "${t%%:*}" >/dev/null || die "${t%%:*} not found: apt-get install ${t#*:}"
done
t_total=$(now)
mkdir -p "$CACHE_DIR/apt-archives"
exec 8>"$CACHE_DIR/.build-vm.lock"
flock 8
if [ "$force" = 0 ] && [ -f "$out/ready" ]; then
  log "image $out is up to date"
  echo "$out"
  exit 0
fi

rootfs_tar=$("$repo/scripts/build-vagrant-image.sh" --rootfs-only) ||
  die "building the shared rootfs failed (scripts/build-vagrant-image.sh --rootfs-only)"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/ebpf-lab-vm.XXXXXX")
rootfs=$work/rootfs mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true; done
  mounted=()
}
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  unmount_all
  if findmnt -rn -o TARGET | grep -qF "$work/"; then log "left $work in place: something is still mounted under it"; else rm -rf "$work"; fi
}
trap cleanup EXIT

t=$(now)
mkdir -p "$rootfs"
tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='security.capability' -xf "$rootfs_tar"
log "unpacked $(basename "$rootfs_tar") in $(took "$t")"

cp -L /etc/resolv.conf "$rootfs/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"; mounted+=("$rootfs/proc")
mount --bind /dev "$rootfs/dev"; mounted+=("$rootfs/dev")
mount --bind /dev/pts "$rootfs/dev/pts"; mounted+=("$rootfs/dev/pts")
chown "$(chroot "$rootfs" id -u _apt 2>/dev/null || echo 0)" "$CACHE_DIR/apt-archives"
mount --bind "$CACHE_DIR/apt-archives" "$rootfs/var/cache/apt/archives"; mounted+=("$rootfs/var/cache/apt/archives")
mkdir -p "$rootfs/tmp/ebpf-lab-provision"
cp "$repo"/scripts/provision/{common,vm-guest}.sh "$rootfs/tmp/ebpf-lab-provision/"
t=$(now)
chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 /bin/bash /tmp/ebpf-lab-provision/vm-guest.sh >&2 || die "scripts/provision/vm-guest.sh failed in the chroot"
log "vm-guest done in $(took "$t")"
unmount_all
install -m 0755 "$repo/scripts/vm/guest-init.sh" "$rootfs/usr/local/sbin/ebpf-lab-vm-init"
rm -rf "$rootfs/tmp/ebpf-lab-provision" "$rootfs/usr/sbin/policy-rc.d" "$rootfs"/etc/ssh/ssh_host_*_key* \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
: >"$rootfs/etc/machine-id"

mkdir -p "$work/out"
kver=$(basename "$(ls -d "$rootfs"/lib/modules/* | sort -V | tail -n1)")
cp "$rootfs/boot/vmlinuz-$kver" "$work/out/vmlinuz"
echo "$kver" >"$work/out/kernel-version"

# initramfs: busybox, /init and the modules (dependencies first) that mounting the root needs.
t=$(now)
ird=$work/initramfs
mkdir -p "$ird/bin" "$ird/lib/modules"
cp "$rootfs/bin/busybox" "$ird/bin/busybox"
install -m 0755 "$repo/scripts/vm/initramfs-init.sh" "$ird/init"
: >"$ird/modules.list"
modprobe -a -d "$rootfs" -S "$kver" --show-depends "${INITRAMFS_MODULES[@]}" | awk '$1 == "insmod" { print $2 }' |
  while read -r ko; do
    name=$(basename "$ko")
    grep -qxF "${name%%.xz}" "$ird/modules.list" 2>/dev/null && continue
    case "$name" in
      *.xz) xz -dc "$ko" >"$ird/lib/modules/${name%.xz}"; name=${name%.xz} ;;
      *) cp "$ko" "$ird/lib/modules/$name" ;;
    esac
    echo "$name" >>"$ird/modules.list"
  done
(cd "$ird" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -1) >"$work/out/initrd.img"
log "initramfs ($(tr '\n' ' ' <"$ird/modules.list")) $(du -h "$work/out/initrd.img" | cut -f1) in $(took "$t")"

t=$(now)
mkfs.ext4 -q -L ebpf-lab -E root_owner=0:0 -d "$rootfs" "$work/root.img" "$DISK_SIZE" || die "mkfs.ext4 -d failed"
qemu-img convert -O qcow2 "$work/root.img" "$work/out/base.qcow2"
rm -f "$work/root.img"
log "base.qcow2 $(du -h "$work/out/base.qcow2" | cut -f1) (virtual $DISK_SIZE) in $(took "$t")"

# Read-only: overlays of running labs point at it; a changed base would corrupt them.
chmod 0444 "$work/out/base.qcow2"
touch "$work/out/ready"
rm -rf "$out"
mv "$work/out" "$out"
log "built $out in $(took "$t_total")"
# Images of older inputs go, unless a running guest still boots from one (its overlay needs the base).
for old in "$CACHE_DIR"/vm-*/; do
  old=${old%/}
  [ "$old" = "$out" ] && continue
  if pgrep -f -- "$old/" >/dev/null; then log "kept $old: a running guest uses it"; else rm -rf "$old" && log "removed old image $old"; fi
done
echo "$out"
