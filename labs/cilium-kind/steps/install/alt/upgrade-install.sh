# the same install run as helm upgrade --install, then waits with kubectl wait instead of rollout status
set -eu
sed -E -e "/^exec helm /s/ '?install'? / upgrade --install /" .lab/helm-cilium.sh | bash
kubectl -n kube-system wait --for=condition=Ready pod -l k8s-app=cilium --timeout=300s
kubectl wait --for=condition=Ready nodes --all --timeout=180s
kubectl -n kube-system rollout status deployment/hubble-relay --timeout=180s
kubectl -n kube-system rollout status deployment/hubble-ui --timeout=180s
