#!/bin/bash
# Runs a command inside one namespace of a lab: joins its cgroup first (so `lab down` can find and
# kill everything it starts), then its network, mount and cgroup namespaces.
# usage: enter.sh CGROUP_DIR HOLDER_PID WORKDIR CMD [ARGS...]
cg=$1 pid=$2 wd=$3
shift 3
if ! echo $$ > "$cg/cgroup.procs" 2>/dev/null; then
  echo "lab: this lab is gone (cannot join $cg); start a new one with 'lab up'" >&2
  exit 125
fi
exec nsenter --target "$pid" --net --mount --cgroup --wd="$wd" -- "$@"
