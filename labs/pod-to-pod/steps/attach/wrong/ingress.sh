# Wrong direction: attaches with tc at ingress of lxc-deathstar, which carries what the pod sends, not what it receives.
set -eu
make -s -C bpf idpolicy
lab-on k8s-w2 bash -euc '
  bpftool prog load bpf/.output/idpolicy.bpf.o /sys/fs/bpf/to_container type classifier
  tc qdisc replace dev lxc-deathstar clsact
  tc filter replace dev lxc-deathstar ingress bpf direct-action pinned /sys/fs/bpf/to_container'
