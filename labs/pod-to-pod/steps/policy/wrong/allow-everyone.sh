# Over-permissive: allows every identity to the deathstar on 80/tcp, the xwing and the webpods included.
set -eu
for src in 1001 1002 1003 1004 1005; do lab-on k8s-w2 ./bpf/.output/idpolicy allow "$src" 1005 80/tcp; done
