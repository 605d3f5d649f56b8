# Remove svc-1 from iptables precisely: its KUBE-SERVICES rule, then its KUBE-SVC and KUBE-SEP chains.
set -eu
vip=10.96.0.11
for b in nft legacy; do
  [ "$b" = legacy ] && ! grep -qx nat /proc/net/ip_tables_names 2>/dev/null && continue
  save=$(iptables-$b-save -t nat)
  svc=$(awk -v d="-d $vip/32" '$1 == "-A" && $2 == "KUBE-SERVICES" && index($0, d) { print $NF }' <<< "$save")
  [ -n "$svc" ] || continue
  seps=$(awk -v c="$svc" '$1 == "-A" && $2 == c && $NF ~ /^KUBE-SEP-/ { print $NF }' <<< "$save")
  # The saved rule, with -A turned into -D, names exactly that rule (eval keeps its quoted comment).
  grep -- "^-A KUBE-SERVICES -d $vip/32 " <<< "$save" | while read -r rule; do
    eval "iptables-$b -t nat -D ${rule#-A }"
  done
  for c in $svc $seps; do iptables-$b -t nat -F "$c"; done
  for c in $svc $seps; do iptables-$b -t nat -X "$c"; done
done
curl -s --max-time 2 "http://$vip/"
