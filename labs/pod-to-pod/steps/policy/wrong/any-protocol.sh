# Too broad: besides 80/tcp, also lets tiefighter ping the deathstar (rule1 allows TCP port 80 only).
set -eu
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1003 1005 80/tcp
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1003 1005 0/icmp
