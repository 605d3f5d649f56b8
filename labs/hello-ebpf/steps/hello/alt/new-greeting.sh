# changed the greeting to "Hello, eBPF!", then rebuilt and restarted: still the learner's own program
set -eu
sed -i 's/bpf_printk("Hello World!");/bpf_printk("Hello, eBPF!");/' bpf/hello/hello.bpf.c
. "$LAB_WORKDIR/.lab/start-hello.sh"
