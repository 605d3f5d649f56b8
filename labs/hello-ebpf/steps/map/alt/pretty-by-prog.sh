# pretty JSON (-p), by the map id that bpftool prog show lists for this lab's hello program
set -eu
pid=$(cat .lab/hello.pid)
prog=$(awk '/^prog_id:/ {print $2}' /proc/"$pid"/fdinfo/* | head -1)
for id in $(bpftool -j prog show id "$prog" | python3 -c 'import json,sys; print(*json.load(sys.stdin)["map_ids"])'); do
  if bpftool map show id "$id" | grep -q 'name exec_count'; then bpftool -p map dump id "$id" > exec-count.json; exit 0; fi
done
echo "no exec_count among program $prog's maps"; exit 1
