#!/bin/bash
# Holds one namespace of a lab: joins the lab's cgroups (every hierarchy, so limits apply), enters its
# network namespace and the lab's PID namespace (the first member creates it, the others join it, so
# one lab is one process tree), then builds the lab's own root filesystem (lab-root.py) and sleeps.
# Killing this process (or anything else in the cgroup) is how a lab ends; `lab reap` finds what is left.
# usage: holder.sh CGROUP_DIR[:CGROUP_DIR...] NETNS_NAME READY_FILE
# env: LAB_PIDNS (host pid of a holder whose PID namespace to join; unset: create one) and the
#      LAB_ROOT, LAB_WORKDIR, LAB_LIBEXEC, LAB_NETNS, LAB_TMP_MIB that lab-root.py reads.
set -eu
cgs=$1 netns=$2 ready=$3
IFS=: read -ra dirs <<< "$cgs"
for d in "${dirs[@]}"; do echo $$ > "$d/cgroup.procs"; done
if [ -n "${LAB_PIDNS:-}" ]; then pidns=(nsenter --target "$LAB_PIDNS" --pid); else pidns=(unshare --pid --fork); fi
exec nsenter --net="/run/netns/$netns" "${pidns[@]}" unshare --mount --cgroup --propagation private -- \
  /usr/bin/python3 -I "${0%/*}/lab-root.py" "$ready"
