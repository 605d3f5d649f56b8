# Lumps the two ships together: xwing gets tiefighter's identity, though their labels differ.
set -eu
id() { lab-on k8s-w2 ./bpf/.output/idpolicy identity "$@"; }
id 172.16.0.11 1001; id 172.16.1.11 1002; id 172.16.2.11 1002
id 172.16.0.12 1003; id 172.16.1.12 1003; id 172.16.2.12 1005
