# Half a cutover: deletes svc-1's KUBE-SERVICES rule but leaves its KUBE-SVC and KUBE-SEP chains behind.
set -eu
rule=$(iptables-nft-save -t nat | grep -- '^-A KUBE-SERVICES -d 10.96.0.11/32 ')
eval "iptables-nft -t nat -D ${rule#-A }"
