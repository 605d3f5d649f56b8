# the same drop written in nft: a table of its own with a chain at the prerouting hook, raw priority
set -eu
nft add table ip flood
nft add chain ip flood pre '{ type filter hook prerouting priority raw; }'
nft add rule ip flood pre ip saddr 192.168.10.20 udp dport 9003 counter drop
