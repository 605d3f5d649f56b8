#!/bin/bash
# Measures one datapath at several service counts and appends the points to a result file.
#
#   ./measure.sh --datapath iptables --backend nft    --n 100,1000,5000
#   ./measure.sh --datapath iptables --backend legacy --n 100,1000,5000
#   ./measure.sh --datapath ebpf                      --n 100,1000,5000   (svclb must be attached)
#
# For each n:
#   restoreMs       install all n services at once: iptables-restore of the full nat table, or
#                   `svclb apply` of n map writes (median of --repeat runs)
#   addOneMs        add service n+1 to the n: the partial sync kube-proxy sends (the whole
#                   KUBE-SERVICES chain plus the new chains, iptables-restore --noflush), or one
#                   `svclb add` (median of --repeat runs)
#   latencyFirstUs  median of --samples fresh TCP connect + HTTP GET to the first service
#   latencyLastUs   the same to service n, the last rule in KUBE-SERVICES
# Its services live in 10.100.0.0/16, apart from yours. Your nat rules (both backends) are saved
# first, the nat tables are emptied for the run, and everything is put back when it ends.
set -euo pipefail
cd "$(dirname "$0")"

datapath= backend=nft counts=100,1000,5000 samples=300 repeat=3 out=results/iptables-vs-ebpf.json
# What the result file describes (.lab/record.py, the labs' shared recorder, writes it).
RESULTS='{"title": "iptables vs eBPF: cost against the number of services",
  "x": {"key": "n", "label": "services", "scale": "log"},
  "metrics": [{"key": "restoreMs", "label": "Install all services at once", "unit": "ms"},
              {"key": "addOneMs", "label": "Add one service", "unit": "ms"},
              {"key": "latencyFirstUs", "label": "Connect + GET, first service (median)", "unit": "us"},
              {"key": "latencyLastUs", "label": "Connect + GET, last service (median)", "unit": "us"}]}'
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; echo "options: --samples S (default 300) --repeat R (default 3) --out FILE"; exit 2; }
source .lab/options.sh
options "--datapath=datapath --backend=backend --n=counts --samples=samples --repeat=repeat --out=out" "$@"
case $datapath in iptables|ebpf) ;; *) usage ;; esac
case $backend in nft|legacy) ;; *) usage ;; esac
[[ $counts =~ ^[0-9]+(,[0-9]+)*$ && $samples =~ ^[1-9][0-9]*$ && $repeat =~ ^[1-9][0-9]*$ ]] || usage

NET=10.100
SVCLB=./bpf/.output/svclb
BACKENDS=$(tr ' ' ',' < .lab/backends)
if [ "$datapath" = ebpf ]; then
  [ -e /sys/fs/bpf/svclb/link ] && [ -x "$SVCLB" ] || {
    echo "measure.sh: svclb is not attached; run: make -C bpf svclb && $SVCLB attach" >&2; exit 1; }
  series=ebpf label="eBPF svclb (cgroup/connect4 + hash map)" backend=bpf-map
else
  series=iptables-$backend label="iptables ($backend backend)"
fi

work=$(mktemp -d .lab/measure.XXXXXX)
declare -A had
# Save both backends' nat tables (yours), empty them, and put them back however the run ends.
for b in nft legacy; do
  iptables-$b-save -t nat > "$work/saved-$b" 2>/dev/null || true
  if grep -q '^\*nat' "$work/saved-$b"; then had[$b]=1; printf '*nat\nCOMMIT\n' | iptables-$b-restore; fi
done
put_back() {
  for b in nft legacy; do
    if [ -n "${had[$b]:-}" ]; then iptables-$b-restore < "$work/saved-$b"
    elif [ "$datapath/$backend" = "iptables/$b" ]; then printf '*nat\nCOMMIT\n' | iptables-$b-restore; fi
  done
  [ "$datapath" = ebpf ] && [ -s "$work/del" ] && "$SVCLB" apply "$work/del" > /dev/null
  rm -rf "$work"
}
trap put_back EXIT

# Wall time of a command in ms (bash's own clock: no extra process in the measurement).
timed() { local t0=${EPOCHREALTIME/./}; "$@" > /dev/null; echo $(( ${EPOCHREALTIME/./} - t0 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'; }
vip() { local idx=$(( $1 + 10 )); echo "$NET.$(( idx >> 8 )).$(( idx & 255 ))"; }

for n in ${counts//,/ }; do
  [ "$n" -ge 1 ] || { echo "measure.sh: --n values must be at least 1" >&2; exit 2; }
  : > "$work/restore"; : > "$work/add"
  if [ "$datapath" = iptables ]; then
    ./kube-rules.py --n "$n" --net $NET --backends "$BACKENDS" > "$work/full"
    ./kube-rules.py --n $(( n + 1 )) --net $NET --backends "$BACKENDS" --sync-only $(( n + 1 )) > "$work/sync"
    size=$(grep -c '^-A' "$work/full")
  else
    ./kube-rules.py --n $(( n + 1 )) --net $NET --backends "$BACKENDS" --svclb > "$work/all"
    head -n "$n" "$work/all" > "$work/svc"
    read -r -a one <<< "$(tail -n 1 "$work/all" | cut -d' ' -f2-)"
    sed 's/^add \([^ ]*\) .*/del \1/' "$work/all" > "$work/del"
    size=$n
  fi
  for r in $(seq "$repeat"); do
    if [ "$datapath" = iptables ]; then
      printf '*nat\nCOMMIT\n' | iptables-$backend-restore
      timed iptables-$backend-restore "$work/full" >> "$work/restore"
    else
      "$SVCLB" apply "$work/del" > /dev/null
      timed "$SVCLB" apply "$work/svc" >> "$work/restore"
    fi
    if [ "$r" = 1 ]; then
      lat=$(python3 .lab/latency.py "$samples" "$(vip 1):80" "$(vip "$n"):80") || {
        echo "measure.sh: a service did not answer: $lat" >&2; exit 1; }
    fi
    if [ "$datapath" = iptables ]; then
      timed iptables-$backend-restore --noflush "$work/sync" >> "$work/add"
    else
      timed "$SVCLB" add "${one[@]}" >> "$work/add"
    fi
  done
  # run: this lab's id (setup.sh), so a check can tell a point measured here from one copied in.
  point=$(python3 - "$series" "$n" "$size" "$samples" "$repeat" "$(median < "$work/restore")" "$(median < "$work/add")" "$lat" "$(vip 1):80" "$(vip "$n"):80" "$(cat .lab/run-id 2>/dev/null)" <<'PY'
import json, sys
series, n, size, samples, repeat, restore, add, lat, first, last, run = sys.argv[1:]
lat = json.loads(lat)
p = {"n": int(n), "restoreMs": float(restore), "addOneMs": float(add),
     "latencyFirstUs": lat[first]["medianUs"], "latencyLastUs": lat[last]["medianUs"],
     "entries": int(size), "samples": int(samples), "repeats": int(repeat), "run": run}
print(json.dumps(p))
print(f"{series:<16} n={p['n']:<6} restore {p['restoreMs']:>9.2f} ms  add-one {p['addOneMs']:>8.2f} ms"
      f"  first {p['latencyFirstUs']:>7.1f} us  last {p['latencyLastUs']:>7.1f} us", file=sys.stderr)
PY
)
  python3 .lab/record.py "$out" "$RESULTS" "$point" series.id="$series" series.label="$label" series.datapath="$datapath" \
    series.backend="$backend" env.iptables="$(iptables --version)"
done
echo "recorded in $out"
