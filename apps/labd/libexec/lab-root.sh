#!/bin/bash
# Runs inside a lab member's fresh PID, mount and cgroup namespaces (started by holder.sh) and turns
# its mount namespace into the lab's own root: read-only system directories, a fresh /proc of the
# lab's PID namespace, this netns's /sys with bpffs/tracefs/cgroup2, private /tmp, /dev and /run, and
# the lab workdir as the only writable host directory. The host's root is then detached, so labd's
# state dir, other labs' workdirs, /root and /work are not reachable by any path.
# usage: lab-root.sh READY_FILE   (writes the holder's host pid into READY_FILE when done)
# Every mount is its own command: under `set -e` a failure inside `a && b` would not stop the script.
set -eu
ready=$1
: "${LAB_ROOT:?} ${LAB_WORKDIR:?} ${LAB_LIBEXEC:?}"
# The host's /proc is still mounted here, so /proc/self names this shell by its host pid: the pid
# labd and enter.sh use to find these namespaces.
read -r hostpid _ < /proc/self/stat
exec 3> "$ready"

ro_bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mount -o remount,bind,ro,nosuid,nodev "$2"; }

mount -t tmpfs -o mode=0755,size=8m lab-root "$LAB_ROOT"
cd "$LAB_ROOT"
# System directories: the tools labs use (clang, bpftool, bpftrace, iproute2, iptables, python3).
ro_bind /usr usr
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$d"; elif [ -d "/$d" ]; then ro_bind "/$d" "$d"; fi
done
# /etc read-only, without password hashes and private keys: an overlay whose top layer holds
# whiteouts for them. (Binding /dev/null over each file is not enough: the host replacing
# /etc/shadow, as useradd does, silently detaches such a mount.) The overlay keeps its own copy of
# the layer's mount, so the mask tmpfs can be unmounted again.
mkdir .mask
mount -t tmpfs -o size=64k lab-etc-mask .mask
mkdir .mask/ssh .mask/ssl
for f in shadow shadow- gshadow gshadow- ssh/ssh_host_rsa_key ssh/ssh_host_ecdsa_key ssh/ssh_host_ed25519_key ssh/ssh_host_dsa_key ssl/private; do
  mknod ".mask/$f" c 0 0
done
mkdir etc
mount -t overlay -o ro,lowerdir="$LAB_ROOT/.mask:/etc" lab-etc etc
umount -l .mask
rmdir .mask

mkdir -p tmp
mount -t tmpfs -o mode=1777,nosuid,nodev,size="${LAB_TMP_MIB:-256}m" lab-tmp tmp
mkdir -p var && ln -s /tmp var/tmp
mkdir -p root  # HOME is the workdir; /root exists (empty) for tools that assume it

# /dev: only harmless devices, and a pty instance of the lab's own (not the host's /dev/pts).
mkdir dev
mount -t tmpfs -o mode=0755,nosuid,size=1m lab-dev dev
for n in null zero full random urandom tty; do touch "dev/$n"; mount --bind "/dev/$n" "dev/$n"; done
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev,size=64m lab-shm dev/shm
ln -s pts/ptmx dev/ptmx; ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr

# /proc of the lab's PID namespace, read-only: with CAP_SYS_ADMIN its writable files reach the
# whole host (sysctls such as core_pattern and modprobe run programs as host root; sysrq-trigger,
# scsi, irq affinity, PCI config). Only /proc/sys/net, this netns's own sysctls, stays writable.
mkdir proc
mount -t proc -o nosuid,nodev,noexec proc proc
mount -o remount,bind,ro,nosuid,nodev,noexec proc
mount --bind proc/sys/net proc/sys/net
mount -o remount,bind,rw,nosuid,nodev,noexec proc/sys/net
if [ -e proc/kcore ]; then mount --bind /dev/null proc/kcore; fi

# sysfs mounted from inside the netns shows the lab's interfaces; read-only, because writable sysfs
# knobs (uevent_helper, module parameters) are host-wide. bpffs, tracefs and cgroup2 are the lab's.
mkdir sys
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys
mount -t bpf bpf sys/fs/bpf
mount -t tracefs tracefs sys/kernel/tracing 2>/dev/null || true
mount -t debugfs -o ro debugfs sys/kernel/debug 2>/dev/null || true
# Inside the cgroup namespace the lab cgroup is the root, so attaching to /sys/fs/cgroup stays in the lab.
mount -t cgroup2 cgroup2 sys/fs/cgroup 2>/dev/null || true

# Only this lab's network namespaces (lab-on, `ip -n`, nsenter --net in lab scripts).
mkdir run
mount -t tmpfs -o mode=0755,nosuid,nodev,size=1m lab-run run
mkdir run/netns
for n in ${LAB_NETNS:-}; do touch "run/netns/$n"; mount --bind "/run/netns/$n" "run/netns/$n"; done

# The workdir at the path labd, checks and the editor use; the driver's helpers read-only.
mkdir -p ".$LAB_WORKDIR"
mount --bind "$LAB_WORKDIR" ".$LAB_WORKDIR"
ro_bind "$LAB_LIBEXEC" ".$LAB_LIBEXEC"

mkdir .old
pivot_root . .old
umount -l /.old
rmdir /.old
cd /
echo "$hostpid" >&3
exec 3>&-
# Setup is done: nothing more to tell labd. The lab's PID 1 keeps no channel to the host open
# (writing to /proc/1/fd/1 from the lab must reach nothing that grows).
exec </dev/null >/dev/null 2>&1
# The lab's processes that lose their parent end up here (the first member is PID 1): reap them.
# Confined like every lab process (confine.py says why).
exec /usr/bin/python3 -I "$LAB_LIBEXEC/confine.py" /bin/bash -c "trap 'exit 0' TERM; while :; do sleep infinity & wait \$! || true; done"
