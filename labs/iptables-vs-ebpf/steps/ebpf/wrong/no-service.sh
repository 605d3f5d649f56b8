# Half done: attaches svclb but never writes svc-1 into its map.
set -eu
make -s -C bpf svclb
./bpf/.output/svclb attach
