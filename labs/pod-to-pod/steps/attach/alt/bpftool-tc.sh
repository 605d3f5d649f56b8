# Without the loader: bpftool loads the object, its maps are pinned where idpolicy expects them, and tc attaches it at egress.
set -eu
make -s -C bpf idpolicy
lab-on k8s-w2 bash -euc '
  bpftool prog load bpf/.output/idpolicy.bpf.o /sys/fs/bpf/to_container type classifier
  mkdir -p /sys/fs/bpf/idpolicy
  for id in $(bpftool -j prog show pinned /sys/fs/bpf/to_container | python3 -c "import json,sys; print(*json.load(sys.stdin)[\"map_ids\"])"); do
    name=$(bpftool -j map show id "$id" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])")
    [ -e "/sys/fs/bpf/idpolicy/$name" ] || bpftool map pin id "$id" "/sys/fs/bpf/idpolicy/$name"
  done
  tc qdisc replace dev lxc-deathstar clsact
  tc filter replace dev lxc-deathstar egress bpf direct-action pinned /sys/fs/bpf/to_container
  bpftool net show dev lxc-deathstar'
