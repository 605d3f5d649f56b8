#!/bin/bash
# Floods each datapath's port from gen and records packets per second dropped on lab's eth0.
#
#   ./measure.sh                                  all three, payloads 64,512,1400, 3 s each
#   ./measure.sh --datapath xdp --sizes 64 --seconds 5
#
# Datapaths and the port each one guards (your rules from the earlier steps must be in place):
#   xdp       gen → UDP 9001, counted by xdp_drop's xdp_counts map
#   tc        gen → UDP 9002, counted by tc_drop's tc_counts map
#   iptables  gen → UDP 9003, counted by the DROP rule's packet counter (iptables-save -c);
#             without such a counter (plain nft), by what gen sent minus what reached UDP
# The flood is ./flood on gen: one CPU, 64 datagrams per sendmmsg(). Packets for the tc port
# also pass xdp_drop (one map lookup, then XDP_PASS), and for the iptables port both programs.
set -euo pipefail
cd "$(dirname "$0")"

datapaths=xdp,tc,iptables sizes=64,512,1400 seconds=3 out=results/xdp.json
# What results/xdp.json describes (.lab/record.py, the labs' shared recorder, writes it).
RESULTS='{"title": "Dropping a UDP flood: XDP, tc and iptables",
  "x": {"key": "size", "label": "UDP payload (bytes)", "scale": "linear"},
  "metrics": [{"key": "droppedPps", "label": "Packets dropped per second", "unit": "pps"},
              {"key": "sentPps", "label": "Packets the flood sent per second", "unit": "pps"}]}'
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; echo "options: --datapath D[,D] --sizes N[,N] --seconds S --out FILE"; exit 2; }
source .lab/options.sh
options "--datapath=datapaths --sizes=sizes --seconds=seconds --out=out" "$@"
[[ $datapaths =~ ^(xdp|tc|iptables)(,(xdp|tc|iptables))*$ && $sizes =~ ^[0-9]+(,[0-9]+)*$ && $seconds =~ ^[1-9][0-9]?$ ]] || usage
[ -x ./flood ] || { echo "measure.sh: ./flood is missing; build it: clang -O2 -o flood flood.c" >&2; exit 1; }

LAB=192.168.10.10 GEN=192.168.10.20
XDPDROP=./bpf/.output/xdpdrop
port_of() { case $1 in xdp) echo 9001 ;; tc) echo 9002 ;; iptables) echo 9003 ;; esac; }
label_of() { case $1 in xdp) echo "XDP (xdp_drop on veth)" ;; tc) echo "tc clsact ingress (tc_drop)" ;; iptables) echo "iptables raw PREROUTING" ;; esac; }

# Packets reaching lab's UDP layer (nothing listens on these ports, so they count as NoPorts).
arrived() { awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) k[$i] = i; h = 1 } else print $k["InDatagrams"] + $k["NoPorts"] + $k["InErrors"] }' /proc/net/snmp; }
# The drop counter of one datapath, or "" when it cannot be read.
dropped() {
  case $1 in
    xdp|tc) "$XDPDROP" stats 2>/dev/null | awk -v h="$1" '$1 == h && $2 == "dropped" { print $3 }' ;;
    iptables) for b in nft legacy; do iptables-$b-save -c -t raw 2>/dev/null || true; done \
      | awk '/--dport 9003/ && /-j DROP/ { gsub(/[\[\]]/, "", $1); split($1, c, ":"); n += c[1]; f = 1 } END { if (f) print n }' ;;
  esac
}

for dp in ${datapaths//,/ }; do
  port=$(port_of "$dp")
  if [ -z "$(dropped "$dp")" ] && [ "$dp" != iptables ]; then
    echo "measure.sh: no $dp counters: attach it first ($XDPDROP attach $dp eth0; $XDPDROP block $dp $GEN $port)" >&2; exit 1
  fi
  for size in ${sizes//,/ }; do
    d0=$(dropped "$dp"); a0=$(arrived)
    run=$(lab-on gen ./flood "$LAB" "$port" --seconds "$seconds" --size "$size")
    d1=$(dropped "$dp"); a1=$(arrived)
    point=$(python3 - "$dp" "$size" "$run" "$d0" "$d1" "$a0" "$a1" <<'PY'
import json, sys
dp, size, run, d0, d1, a0, a1 = sys.argv[1:]
run = json.loads(run)
arrived = int(a1) - int(a0)
if d0 and d1:
    dropped, how = int(d1) - int(d0), "counter"
else:
    dropped, how = run["sent"] - arrived, "sent-minus-arrived"
secs = run["seconds"]
p = {"size": int(size), "droppedPps": round(dropped / secs), "sentPps": round(run["sent"] / secs),
     "dropped": dropped, "sent": run["sent"], "arrived": arrived, "seconds": secs, "countedBy": how}
print(f"{dp:<9} payload {p['size']:>5} B  sent {p['sentPps']:>9} pps  dropped {p['droppedPps']:>9} pps  "
      f"reached UDP {arrived} ({how})", file=sys.stderr)
# A datapath that let most of the flood through measured nothing worth recording.
if dropped < run["sent"] * 0.5:
    print(f"measure.sh: {dp} dropped only {dropped} of {run['sent']} packets, nothing recorded: is its drop for gen in place?", file=sys.stderr)
    sys.exit(3)
print(json.dumps(p))
PY
)
    python3 .lab/record.py "$out" "$RESULTS" "$point" series.id="$dp" series.label="$(label_of "$dp")" series.datapath="$dp" \
      env.interface="veth (native veth XDP, not a NIC driver)"
  done
done
echo "recorded in $out"
