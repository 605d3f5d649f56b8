# Right node, wrong interface: attaches to lxc-webpod2, the other pod on k8s-w2.
set -eu
make -s -C bpf idpolicy
lab-on k8s-w2 ./bpf/.output/idpolicy attach lxc-webpod2
