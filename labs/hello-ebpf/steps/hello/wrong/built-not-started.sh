# built bpf/hello with make but never started the loader
set -eu
make -s -C bpf hello
