# Prints the network namespace of a backend pod (argument: pod name, e.g. be1).
# The netns driver names it el<instance>-<pod>; other drivers may use the bare pod name.
for n in "/run/netns/el${LAB_INSTANCE:-}-$1" "/run/netns/$1"; do
  [ -e "$n" ] && { echo "$n"; exit 0; }
done
echo "no network namespace for pod $1 (looked in /run/netns)" >&2
exit 1
