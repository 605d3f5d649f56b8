# Starting state: bpf/execsnoop (events without a uid) and bpf/execcount (rejected by the
# verifier) as written; nothing built or loaded yet.
set -eu
test -f bpf/execsnoop/execsnoop.bpf.c
test -f bpf/execcount/execcount.bpf.c
