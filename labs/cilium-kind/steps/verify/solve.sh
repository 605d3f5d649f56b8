# Verification only: what the lesson asks you to run and read. It changes nothing.
set -eu
kubectl -n kube-system rollout status daemonset/cilium --timeout=60s
kubectl -n kube-system get daemonset kube-proxy 2>&1 || true
kubectl -n kube-system exec ds/cilium -c cilium-agent -- cilium-dbg status | grep -E 'KubeProxyReplacement|Routing|Masquerading'
for n in $(kubectl get nodes -o jsonpath='{.items[*].metadata.name}'); do
  echo "$n: $(docker exec "$n" iptables-save | grep -c KUBE-SVC || true) KUBE-SVC lines"
done
