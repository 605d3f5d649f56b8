#!/usr/bin/env bash
# The vm driver's image (a directory from scripts/build-vm-image.sh) as a Vagrant box for
# vagrant-libvirt: metadata.json, box.img (the image's base.qcow2) and a box Vagrantfile that
# boots the image's own kernel and initramfs directly (no bootloader in the image). The PID 1 is
# the vm driver's (scripts/vm/guest-init.sh); elab.net=dhcp makes it take eth0's address from
# libvirt's management network, where Vagrant looks for it. Root logs in with the key the
# project Vagrantfile puts on the kernel command line (elab.key).
# The box is named elab-box-<image tag>: same inputs, same box; it is packed once into the image
# directory and added once to Vagrant ($VAGRANT_HOME, default $LAB_CACHE_DIR/vagrant.d: libvirt's
# QEMU runs as libvirt-qemu, which cannot enter /root, and reads the kernel from the box).
# usage: scripts/vm/vagrant-box.sh [--print-name] IMAGE_DIR    prints the box name on stdout
set -euo pipefail
log() { printf 'vagrant-box: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
print_only=0
[ "${1:-}" = --print-name ] && { print_only=1; shift; }
dir=${1:?usage: vagrant-box.sh [--print-name] IMAGE_DIR}
tag=$(basename "$dir"); tag=${tag#vm-}
name=elab-box-$tag
[ "$print_only" = 1 ] && { echo "$name"; exit 0; }
[ -f "$dir/ready" ] || die "$dir is not a built image (run scripts/build-vm-image.sh)"
CACHE_DIR=${LAB_CACHE_DIR:-/var/cache/ebpf-lab}
export VAGRANT_HOME=${VAGRANT_HOME:-$CACHE_DIR/vagrant.d} VAGRANT_CHECKPOINT_DISABLE=1
command -v vagrant >/dev/null || die "vagrant not found: apt-get install vagrant vagrant-libvirt"
exec 9>"$dir/.vagrant-box.lock"
flock 9

box=$dir/vagrant-libvirt.box
if [ ! -f "$box" ]; then
  t0=$(date +%s)
  work=$(mktemp -d "$dir/.box.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  virtual_gib=$(( ($(qemu-img info --output=json "$dir/base.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p') + (1 << 30) - 1) >> 30 ))
  printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' "$virtual_gib" >"$work/metadata.json"
  cat >"$work/Vagrantfile" <<'VF'
# Box of eBPF Lab (scripts/vm/vagrant-box.sh): the vm driver's image. No bootloader: libvirt boots
# the kernel and initramfs shipped in this box. The project Vagrantfile sets cmd_line (root,
# elab.key, elab.name, elab.addr, elab.routes; see scripts/vm/guest-init.sh).
Vagrant.configure("2") do |config|
  config.ssh.username = "root"
  config.ssh.insert_key = false
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "console=ttyS0 root=/dev/vda elab.net=dhcp"
    lv.disk_bus = "virtio"
    lv.nic_model_type = "virtio"
  end
end
VF
  cp "$dir/vmlinuz" "$dir/initrd.img" "$work/"
  ln "$dir/base.qcow2" "$work/box.img" 2>/dev/null || cp "$dir/base.qcow2" "$work/box.img"
  tar -C "$work" -cf "$work/out.box" metadata.json Vagrantfile vmlinuz initrd.img box.img
  mv "$work/out.box" "$box"
  log "packed $box in $(( $(date +%s) - t0 )) s"
fi
if ! vagrant box list --machine-readable 2>/dev/null | grep -q ",box-name,$name\$"; then
  t0=$(date +%s)
  vagrant box add --name "$name" --provider libvirt "$box" >&2 || die "vagrant box add $name failed"
  log "added $name to $VAGRANT_HOME in $(( $(date +%s) - t0 )) s"
  # Boxes of older images go; the base volumes libvirt made of them are the stage's to remove.
  vagrant box list --machine-readable | sed -n 's/.*,box-name,\(elab-box-.*\)$/\1/p' | grep -vx "$name" |
    while read -r old; do vagrant box remove --force --all "$old" >&2 || true; done
fi
echo "$name"
