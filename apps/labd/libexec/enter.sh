#!/bin/bash
# Runs a command inside one namespace of a lab: joins its cgroups first (so limits apply and `lab
# down` can find and kill everything it starts), then its network, mount, cgroup and PID namespaces,
# with a reduced capability bounding set, no_new_privs and a seccomp filter (confine.py says which).
# usage: enter.sh CGROUP_DIR[:CGROUP_DIR...] HOLDER_PID WORKDIR CMD [ARGS...]
cg=$1 pid=$2 wd=$3
shift 3
IFS=: read -ra dirs <<< "$cg"
for d in "${dirs[@]}"; do
  if ! echo $$ > "$d/cgroup.procs" 2>/dev/null; then
    echo "lab: this lab is gone (cannot join $d); start a new one with 'lab up'" >&2
    exit 125
  fi
done
# Locked memory unlimited while still allowed to raise it (the lab has no CAP_SYS_RESOURCE): BPF
# memory is charged to the lab's memory cgroup instead, and bpftrace warns when it cannot raise it.
ulimit -l unlimited 2>/dev/null || true
# No --wd: nsenter would open the workdir before entering, leaving the command's cwd on the host's
# mount tree (where `cd ..` leads out of the lab). confine.py changes directory inside instead.
exec nsenter --target "$pid" --net --mount --cgroup --pid -- \
  /usr/bin/python3 -I "${0%/*}/confine.py" --cd "$wd" "$@"
