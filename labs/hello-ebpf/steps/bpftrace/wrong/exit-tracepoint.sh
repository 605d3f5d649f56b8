# the probe is sys_exit_execve (after the exec returned) instead of sys_enter_execve
set -eu
cat > trace-execve.bt <<'BT'
tracepoint:syscalls:sys_exit_execve
{
  printf("%-7d %-16s ret=%d\n", pid, comm, args->ret);
}
BT
nohup bpftrace trace-execve.bt > trace-execve.log 2>&1 < /dev/null &
sh .lab/wait-attached.sh $!
