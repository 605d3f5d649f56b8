# Wrong node: attaches on k8s-s (where the client pods live), to tiefighter's veth, instead of on deathstar's node.
set -eu
make -s -C bpf idpolicy
lab-on k8s-s ./bpf/.output/idpolicy attach lxc-tiefighter
