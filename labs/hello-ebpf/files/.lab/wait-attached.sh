# Waits (up to 10 s) until process $1 holds a perf attachment (bpftool perf show); used by scripts that start tracers.
for _ in $(seq 100); do
  bpftool -j perf show 2>/dev/null | grep -q "\"pid\":$1," && exit 0
  kill -0 "$1" 2>/dev/null || { echo "process $1 exited"; exit 1; }
  sleep 0.1
done
echo "process $1 did not attach within 10 s"; exit 1
