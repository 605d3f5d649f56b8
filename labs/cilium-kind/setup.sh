# Starting state: three kind nodes registered and NotReady (no CNI yet), no kube-proxy,
# the manifests and Helm values in the workdir. Runs on the host side with KUBECONFIG set.
set -eu
test -f helm/cilium-values.yaml
test -f manifests/netpod-webpod.yaml
test -f manifests/starwars.yaml
test -x .lab/helm-cilium.sh
nodes=$(kubectl get nodes -o name | wc -l)
test "$nodes" -eq 3 || { echo "expected 3 nodes, found $nodes"; exit 1; }
if kubectl -n kube-system get daemonset kube-proxy >/dev/null 2>&1; then echo "kube-proxy is running; kind.yaml must set kubeProxyMode: none"; exit 1; fi
