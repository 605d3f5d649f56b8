# Builds bpf/hello from the workdir and starts it in the background, waiting for its "attached:" line.
make -s -C bpf hello
nohup ./bpf/.output/hello > hello.log 2>&1 < /dev/null &
h=$!
# Recorded so later steps find THIS lab's loader; pgrep would also see other labs' on the same host.
echo "$h" > .lab/hello.pid
for _ in $(seq 100); do
  grep -q '^attached:' hello.log 2>/dev/null && exit 0
  kill -0 "$h" 2>/dev/null || { echo "hello exited:"; cat hello.log; exit 1; }
  sleep 0.1
done
echo "hello did not report attaching within 10 s"; cat hello.log; exit 1
