# Too much: flushes and deletes the whole nat table, taking every other service down with svc-1.
set -eu
iptables-nft -t nat -F
iptables-nft -t nat -X
