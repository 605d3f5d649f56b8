# a bpftrace -e one-liner that prints only pid and comm, into another file
set -eu
nohup bpftrace -e 'tracepoint:syscalls:sys_enter_execve { printf("%d %s\n", pid, comm); }' > execs.txt 2>&1 < /dev/null &
sh .lab/wait-attached.sh $!
