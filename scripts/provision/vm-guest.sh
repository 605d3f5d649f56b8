#!/usr/bin/env bash
# Turns the shared lab rootfs (ebpf-tools.sh + lab-user.sh) into the root of a QEMU guest for the
# vm driver: Debian's cloud kernel (kprobes, BTF, virtio) with its headers (BCC compiles against
# them), busybox for the initramfs, and a PID 1 of our own (no systemd: a guest boots to sshd in
# a couple of seconds even under TCG). Runs in a chroot from scripts/build-vm-image.sh.
set -euo pipefail
PROVISION_STEP=vm-guest
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$(readlink -f "$0")")/common.sh"

require_root
load_os
# The guest boots with the small initramfs build-vm-image.sh makes: Debian's own would only
# cost build time (one per kernel install), so update-initramfs is diverted to a no-op. (Setting
# update_initramfs=no in its conffile instead makes dpkg stop at a conffile prompt.)
if [ ! -e /usr/sbin/update-initramfs.distrib ]; then
  dpkg-divert --local --rename --add /usr/sbin/update-initramfs >/dev/null
  ln -sf /bin/true /usr/sbin/update-initramfs
fi
apt_install linux-image-cloud-amd64 linux-headers-cloud-amd64 busybox-static kmod e2fsprogs python3 python3-bpfcc

# The driver logs in as root with the image's own key (the drop-in sorts before ebpf-lab.conf,
# and sshd keeps the first value it reads), so no sudo runs per command.
# No PAM, motd or lastlog: every exec is a new session, and under TCG each of those costs.
cat >/etc/ssh/sshd_config.d/00-ebpf-lab-vm.conf <<'CONF'
PermitRootLogin prohibit-password
MaxStartups 64
UsePAM no
PrintMotd no
PrintLastLog no
CONF
echo ebpf-lab-vm >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 ebpf-lab-vm\n' >/etc/hosts
printf '/dev/vda / ext4 rw,relatime 0 1\n' >/etc/fstab
log "kernel: $(ls /boot/vmlinuz-* | tail -n1)"
log "done"
