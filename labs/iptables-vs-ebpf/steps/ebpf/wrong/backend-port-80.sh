# Wrong backend port: puts svc-1 in the map with the pods on port 80 (the service port) instead of 8080.
set -eu
make -s -C bpf svclb
./bpf/.output/svclb attach
./bpf/.output/svclb add 10.96.0.11:80 $(sed 's/:8080/:80/g' .lab/backends)
