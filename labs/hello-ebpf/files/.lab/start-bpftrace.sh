# Starts trace-execve.bt in the background and waits (up to 10 s) until its probe is attached.
nohup bpftrace trace-execve.bt > trace-execve.log 2>&1 < /dev/null &
bt=$!
for _ in $(seq 100); do
  bpftool -j perf show 2>/dev/null | grep -q "\"pid\":$bt,.*sys_enter_execve" && exit 0
  kill -0 "$bt" 2>/dev/null || { echo "bpftrace exited:"; cat trace-execve.log; exit 1; }
  sleep 0.1
done
echo "bpftrace did not attach within 10 s"; cat trace-execve.log; exit 1
