set -eu
cat > trace-execve.bt <<'BT'
tracepoint:syscalls:sys_enter_execve
{
  printf("%-7d %-16s %s\n", pid, comm, str(args->filename));
}
BT
. "$LAB_WORKDIR/.lab/start-bpftrace.sh"
