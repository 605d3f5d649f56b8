# dumped the map, then restarted hello: the file is from the earlier run, whose map is gone
set -eu
pid=$(cat .lab/hello.pid)
id=$(for f in /proc/"$pid"/fdinfo/*; do awk '/^map_id:/ {print $2}' "$f"; done | while read -r i; do bpftool map show id "$i" | grep -q 'name exec_count' && echo "$i"; done | head -1)
bpftool -j map dump id "$id" > exec-count.json
sleep 3.5
kill "$pid"
. "$LAB_WORKDIR/.lab/start-hello.sh"
