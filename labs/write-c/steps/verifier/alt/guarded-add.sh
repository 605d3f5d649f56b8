# the NULL check wrapped around the add (if (count) …) instead of an early return
set -eu
sed -i 's|^\t__sync_fetch_and_add(count, 1);|\tif (count)\n\t&|' bpf/execcount/execcount.bpf.c
bash .lab/start.sh execcount
