# Starting state: starter files are in place (copied by the engine); nothing is loaded yet.
set -eu
test -f trace-execve.bt
test -f bpf/hello/hello.bpf.c
