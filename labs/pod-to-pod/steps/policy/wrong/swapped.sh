# Source and destination swapped: allows deathstar → tiefighter instead of tiefighter → deathstar.
set -eu
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1005 1003 80/tcp
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1005 1005 80/tcp
