#!/bin/bash
# Runs a command in another node or pod of this lab, in its network AND mount namespace (so it
# sees that member's bpffs), like `lab exec <id> --node MEMBER` does from the host. The lab's
# solve scripts use it; they start on the first node.
# usage: .lab/on-member.sh MEMBER CMD [ARGS...]
set -eu
member=$1
shift
want=$(stat -L -c %i "/run/netns/el${LAB_INSTANCE}-$member")
# Each member's holder process sleeps inside that member's namespaces; find it by its netns inode.
for pid in $(pgrep -x sleep); do
  if [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$want" ]; then
    exec nsenter --target "$pid" --net --mount --wd="$PWD" -- "$@"
  fi
done
echo "on-member.sh: no process holds the namespaces of $member" >&2
exit 1
