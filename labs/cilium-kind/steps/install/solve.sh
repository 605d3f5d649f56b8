# The lesson's helm install, as the kind driver wrote it for this cluster (chart from the cache).
set -eu
bash .lab/helm-cilium.sh
kubectl -n kube-system rollout status daemonset/cilium --timeout=300s
if kubectl -n kube-system get daemonset cilium-envoy >/dev/null 2>&1; then
  kubectl -n kube-system rollout status daemonset/cilium-envoy --timeout=180s
fi
kubectl -n kube-system rollout status deployment/cilium-operator --timeout=120s
kubectl wait --for=condition=Ready nodes --all --timeout=120s
kubectl -n kube-system rollout status deployment/coredns --timeout=120s
kubectl -n kube-system rollout status deployment/hubble-relay --timeout=180s
kubectl -n kube-system rollout status deployment/hubble-ui --timeout=180s
