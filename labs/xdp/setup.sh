# Starting state: three nodes on one segment, no BPF program, no drop rule. Builds the traffic
# generator (files/flood.c) that gen uses for the flood, and checks that gen reaches lab.
set -eu
chmod +x measure.sh
clang -O2 -Wall -o flood flood.c
mkdir -p results
for i in $(seq 50); do
  lab-on gen ping -c 1 -W 1 192.168.10.10 > /dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "gen cannot ping lab (192.168.10.10): the lab network is broken"; exit 1
