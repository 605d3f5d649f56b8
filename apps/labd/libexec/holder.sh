#!/bin/bash
# Holds one namespace of a lab: joins the lab's cgroup, enters its network namespace, and creates a
# private mount + cgroup namespace with its own sysfs, bpffs and tracefs, then sleeps. Killing this
# process (or anything else in the cgroup) is how a lab ends; `lab reap` finds what is left.
# usage: holder.sh CGROUP_DIR NETNS_NAME READY_FILE
set -eu
cg=$1 netns=$2 ready=$3
echo $$ > "$cg/cgroup.procs"
exec nsenter --net="/run/netns/$netns" unshare --mount --cgroup --propagation private -- /bin/bash -c '
  set -e
  # A sysfs mounted from inside the netns shows the lab interfaces, not the host ones.
  umount -l /sys
  mount -t sysfs sysfs /sys
  mount -t bpf bpf /sys/fs/bpf
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
  mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
  # Inside the cgroup namespace the lab cgroup is the root, so attaching to /sys/fs/cgroup stays in the lab.
  mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
  : > "$0"
  exec sleep infinity
' "$ready"
