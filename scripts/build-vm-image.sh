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
INPUTS=(scripts/build-vm-image.sh scripts/lib/image-build.sh scripts/provision/common.sh
  scripts/provision/vm-guest.sh scripts/vm/guest-init.sh scripts/vm/initramfs-init.sh)
# Enough to find the root disk; everything else loads from the root filesystem later.
INITRAMFS_MODULES=(virtio_pci virtio_blk ext4)

BUILDER=build-vm-image
# shellcheck source=lib/image-build.sh
source "$repo/scripts/lib/image-build.sh"

parse_flags "--print-dir=print_only --vagrant-box=box --force=force" "$@"

if [ "$box" = 1 ]; then
  rest=()
  for arg in "$@"; do [ "$arg" = --vagrant-box ] || rest+=("$arg"); done
  dir=$("$0" "${rest[@]}" | tail -n1) || exit 1
  [ "$print_only" = 1 ] && exec "$repo/scripts/vm/vagrant-box.sh" --print-name "$dir"
  exec "$repo/scripts/vm/vagrant-box.sh" "$dir"
fi

rootfs_ref=$("$repo/scripts/build-vagrant-image.sh" --print-ref) || die "cannot compute the rootfs tag"
tag=$(inputs_tag "$repo" "rootfs=$rootfs_ref disk=$DISK_SIZE modules=${INITRAMFS_MODULES[*]}" "${INPUTS[@]}")
out=$CACHE_DIR/vm-$tag
if [ "$print_only" = 1 ]; then echo "$out"; exit 0; fi

need_build_root
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

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ebpf-lab-vm.XXXXXX")
rootfs=$WORK/rootfs
trap cleanup_work EXIT

t=$(now)
mkdir -p "$rootfs"
tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='security.capability' -xf "$rootfs_tar"
log "unpacked $(basename "$rootfs_tar") in $(took "$t")"

chroot_prepare "$rootfs"
chroot_provision "$rootfs" "$repo" vm-guest
chroot_finish "$rootfs"
install -m 0755 "$repo/scripts/vm/guest-init.sh" "$rootfs/usr/local/sbin/ebpf-lab-vm-init"

mkdir -p "$WORK/out"
kver=$(basename "$(ls -d "$rootfs"/lib/modules/* | sort -V | tail -n1)")
cp "$rootfs/boot/vmlinuz-$kver" "$WORK/out/vmlinuz"
echo "$kver" >"$WORK/out/kernel-version"

# initramfs: busybox, /init and the modules (dependencies first) that mounting the root needs.
t=$(now)
ird=$WORK/initramfs
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
(cd "$ird" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -1) >"$WORK/out/initrd.img"
log "initramfs ($(tr '\n' ' ' <"$ird/modules.list")) $(du -h "$WORK/out/initrd.img" | cut -f1) in $(took "$t")"

t=$(now)
mkfs.ext4 -q -L ebpf-lab -E root_owner=0:0 -d "$rootfs" "$WORK/root.img" "$DISK_SIZE" || die "mkfs.ext4 -d failed"
qemu-img convert -O qcow2 "$WORK/root.img" "$WORK/out/base.qcow2"
rm -f "$WORK/root.img"
log "base.qcow2 $(du -h "$WORK/out/base.qcow2" | cut -f1) (virtual $DISK_SIZE) in $(took "$t")"

# Read-only: overlays of running labs point at it; a changed base would corrupt them.
chmod 0444 "$WORK/out/base.qcow2"
touch "$WORK/out/ready"
rm -rf "$out"
mv "$WORK/out" "$out"
log "built $out in $(took "$t_total")"
# Images of older inputs go, unless a running guest still boots from one (its overlay needs the base).
for old in "$CACHE_DIR"/vm-*/; do
  old=${old%/}
  [ "$old" = "$out" ] && continue
  if pgrep -f -- "$old/" >/dev/null; then log "kept $old: a running guest uses it"; else rm -rf "$old" && log "removed old image $old"; fi
done
echo "$out"
