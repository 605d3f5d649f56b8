# rule1.yaml compiled by hand: its fromEndpoints selector org=empire matches the identities of
# tiefighter (1003) and deathstar itself (1005); both may reach deathstar (1005) on 80/tcp.
set -eu
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1003 1005 80/tcp
lab-on k8s-w2 ./bpf/.output/idpolicy allow 1005 1005 80/tcp
lab-on xwing sh -c 'curl -s --max-time 2 http://172.16.2.12/; echo "xwing: curl exit $?"'
