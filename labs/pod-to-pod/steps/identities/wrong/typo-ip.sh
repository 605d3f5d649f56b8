# A typo: deathstar's identity goes to 172.16.2.21 instead of 172.16.2.12, so the pod stays unmanaged.
set -eu
id() { lab-on k8s-w2 ./bpf/.output/idpolicy identity "$@"; }
id 172.16.0.11 1001; id 172.16.1.11 1002; id 172.16.2.11 1002
id 172.16.0.12 1003; id 172.16.1.12 1004; id 172.16.2.21 1005
