# Wrong endpoint port: DNATs every service to the pods' port 80 (the service port) instead of 8080, so nothing answers.
set -eu
./kube-rules.py --n "$(cat .lab/target-n)" --backends "$(sed 's/:8080/:80/g' .lab/backends | tr ' ' ',')" > rules.txt
iptables-nft-restore < rules.txt
