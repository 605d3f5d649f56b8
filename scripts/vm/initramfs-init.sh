#!/bin/busybox sh
# /init of the vm driver's initramfs: loads the few modules needed to see the root disk
# (listed in /modules.list by scripts/build-vm-image.sh), mounts /dev/vda and switches to the
# lab's PID 1. Any failure is said on the console and powers the guest off, so QEMU exits
# and the driver reports it instead of waiting for its timeout.
export PATH=/bin
/bin/busybox --install -s /bin
fail() { echo "ebpf-lab-initramfs: $*"; sleep 1; poweroff -f; }
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done </modules.list
i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1))
  [ "$i" -gt 200 ] && fail "no root disk /dev/vda after 20 s (modules: $(cat /modules.list | tr '\n' ' '))"
  sleep 0.1
done
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda as ext4"
[ -x /newroot/usr/local/sbin/ebpf-lab-vm-init ] || fail "/usr/local/sbin/ebpf-lab-vm-init missing on the root disk"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /usr/local/sbin/ebpf-lab-vm-init
