# built from the tool's own folder (cd bpf/hello && make) and run with --json into another file
set -eu
(cd bpf/hello && make -s)
nohup ./bpf/.output/hello --json > events.jsonl 2> hello.err < /dev/null &
h=$!
for _ in $(seq 100); do
  grep -q 'attached' events.jsonl 2>/dev/null && exit 0
  kill -0 "$h" 2>/dev/null || { cat events.jsonl hello.err; exit 1; }
  sleep 0.1
done
echo "hello did not attach within 10 s"; exit 1
