# Identity per pod, not per label set: webpod1 and webpod2 (same labels) get different numbers.
set -eu
i=1001
for ip in 172.16.0.11 172.16.1.11 172.16.2.11 172.16.0.12 172.16.1.12 172.16.2.12; do
  lab-on k8s-w2 ./bpf/.output/idpolicy identity "$ip" "$i"; i=$((i + 1))
done
