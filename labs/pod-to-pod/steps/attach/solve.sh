# Build idpolicy and attach it at tc egress of deathstar's host-side veth, on deathstar's node.
set -eu
make -s -C bpf idpolicy
lab-on k8s-w2 ./bpf/.output/idpolicy attach lxc-deathstar
