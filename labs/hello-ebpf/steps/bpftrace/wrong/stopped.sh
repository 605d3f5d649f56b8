# ran bpftrace in the foreground and stopped it with Ctrl-C: the log is there, the tracer is not
set -eu
cat > trace-execve.bt <<'BT'
tracepoint:syscalls:sys_enter_execve
{
  printf("%-7d %-16s %s\n", pid, comm, str(args->filename));
}
BT
bpftrace trace-execve.bt > trace-execve.log 2>&1 &
bt=$!
sh .lab/wait-attached.sh $bt
ls > /dev/null; id > /dev/null; sleep 0.5
kill -INT $bt; wait $bt || true
