# changed hello.bpf.c after starting hello and did not rebuild: the running program is the old one
set -eu
# start-hello.sh ends with exit, so a subshell keeps it from ending this script.
( . "$LAB_WORKDIR/.lab/start-hello.sh" )
sed -i 's/bpf_printk("Hello World!");/bpf_printk("Hello, eBPF!");/' bpf/hello/hello.bpf.c
grep -q 'Hello, eBPF!' bpf/hello/hello.bpf.c
