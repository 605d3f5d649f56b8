#!/bin/bash
# PID 1 of a vm-driver guest (installed as /usr/local/sbin/ebpf-lab-vm-init by
# scripts/build-vm-image.sh; the initramfs switches to it). No systemd: under TCG every exec is
# ~30x slower than on the host, so this does the least a lab needs and starts sshd, the one
# channel labd uses. Kernel command line parameters it reads:
#   elab.name=NAME   hostname (the instance prefix el<id>)
#   elab.key=B64     base64 of the OpenSSH public key authorized for root (per instance)
# Says "ebpf-lab-vm: ready" on the console once sshd listens; the driver waits for that line.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
say() { echo "ebpf-lab-vm: $*" >/dev/console 2>/dev/null || echo "ebpf-lab-vm: $*"; }
mnt() { # type target [options]
  mkdir -p "$2"
  mountpoint -q "$2" || mount -t "$1" ${3:+-o "$3"} "$1" "$2" || say "WARNING: cannot mount $1 on $2"
}

mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm
mnt tmpfs /run mode=0755
mnt cgroup2 /sys/fs/cgroup
mnt bpf /sys/fs/bpf
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
ln -sf /proc/self/fd /dev/fd 2>/dev/null

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
name=$(arg elab.name)
hostname "${name:-ebpf-lab-vm}"

# User-mode networking (slirp, restrict=on): the guest is 10.0.2.15 and reaches nothing but
# what the host forwards to it. No udev here, so the NIC driver is loaded by hand.
modprobe virtio_net 2>/dev/null
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
  say "WARNING: no network on eth0"
# The overlay may be larger than the base image: grow the filesystem to it, in the background.
resize2fs /dev/vda >/dev/null 2>&1 &

key=$(arg elab.key)
if [ -n "$key" ]; then
  install -d -m 0700 /root/.ssh
  echo "$key" | base64 -d >/root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
else
  say "WARNING: no elab.key on the kernel command line: nobody can log in"
fi
# A host key per boot (Ed25519 takes milliseconds), announced on the console below.
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
mkdir -p /run/sshd && chmod 0755 /run/sshd
if /usr/sbin/sshd -o HostKey=/etc/ssh/ssh_host_ed25519_key; then
  # The console is private to the host's root (a file QEMU writes): the driver pins this key.
  say "hostkey $(cut -d' ' -f1-2 /etc/ssh/ssh_host_ed25519_key.pub)"
  say ready
else
  say "ERROR: sshd did not start"
fi

# PID 1 reaps every orphan: bash's SIGCHLD handler waits for any child, known or not.
while :; do sleep 5; done
