# attached to sys_enter_execve, but it only counts into a map and prints nothing per exec
set -eu
cat > trace-execve.bt <<'BT'
tracepoint:syscalls:sys_enter_execve
{
  @execs[comm] = count();
}
BT
nohup bpftrace trace-execve.bt > trace-execve.log 2>&1 < /dev/null &
sh .lab/wait-attached.sh $!
