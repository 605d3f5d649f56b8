# bpftool map dump without -j: the plain-text form, not JSON
set -eu
pid=$(cat .lab/hello.pid)
id=$(for f in /proc/"$pid"/fdinfo/*; do awk '/^map_id:/ {print $2}' "$f"; done | while read -r i; do bpftool map show id "$i" | grep -q 'name exec_count' && echo "$i"; done | head -1)
bpftool map dump id "$id" > exec-count.json
