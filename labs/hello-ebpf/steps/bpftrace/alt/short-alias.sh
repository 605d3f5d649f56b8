# the probe spelled with bpftrace's short alias t:, printing only the path, started with setsid
set -eu
cat > trace-execve.bt <<'BT'
t:syscalls:sys_enter_execve { printf("%s\n", str(args->filename)); }
BT
setsid bpftrace trace-execve.bt > trace-execve.log 2>&1 < /dev/null &
sh .lab/wait-attached.sh $!
