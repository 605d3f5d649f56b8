#!/bin/bash
# Usage: bash .lab/start.sh TOOL — builds bpf/TOOL, (re)starts it in the background with its
# output in TOOL.log, and waits until it reports that it runs. Used by solve.sh and the variants.
set -eu
tool=$1
make -s -C bpf "$tool"
# A loader this lab started earlier still runs the old program: stop it first.
if [ -s ".lab/$tool.pid" ]; then kill "$(cat ".lab/$tool.pid")" 2>/dev/null || true; sleep 0.3; fi
nohup "./bpf/.output/$tool" > "$tool.log" 2>&1 < /dev/null &
pid=$!
# Recorded so a restart stops THIS lab's loader; pgrep would also see other labs' on the host.
echo "$pid" > ".lab/$tool.pid"
for _ in $(seq 100); do
  grep -q "^$tool: \(tracing\|counting\)" "$tool.log" 2>/dev/null && exit 0
  kill -0 "$pid" 2>/dev/null || { echo "$tool exited:"; cat "$tool.log"; exit 1; }
  sleep 0.1
done
echo "$tool did not start within 10 s"; cat "$tool.log"; exit 1
