# bpftool's own output, with uid 0's count edited upwards (raw bytes and formatted agree)
set -eu
pid=$(cat .lab/hello.pid)
id=$(for f in /proc/"$pid"/fdinfo/*; do awk '/^map_id:/ {print $2}' "$f"; done | while read -r i; do bpftool map show id "$i" | grep -q 'name exec_count' && echo "$i"; done | head -1)
bpftool -j map dump id "$id" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
for r in rows:
    if r["formatted"]["key"] == 0:
        v = r["formatted"]["value"] + 1000000
        r["formatted"]["value"] = v
        r["value"] = ["0x%02x" % ((v >> (8 * i)) & 0xff) for i in range(8)]
json.dump(rows, sys.stdout)
' > exec-count.json
