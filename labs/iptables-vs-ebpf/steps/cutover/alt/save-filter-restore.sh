# Edit the saved table instead of deleting rule by rule: drop every line of svc-1 (its VIP and its chains) and restore the rest whole.
set -eu
save=$(iptables-nft-save -t nat)
chains=$(awk '$1 == "-A" && $2 == "KUBE-SERVICES" && index($0, "-d 10.96.0.11/32") { print $NF }' <<< "$save")
seps=$(awk -v c="$chains" '$1 == "-A" && $2 == c && $NF ~ /^KUBE-SEP-/ { print $NF }' <<< "$save")
pattern=$(printf -- '-e %s ' 10.96.0.11/32 $chains $seps)
# shellcheck disable=SC2086
grep -v $pattern <<< "$save" | iptables-nft-restore
curl -s --max-time 2 http://10.96.0.11/
