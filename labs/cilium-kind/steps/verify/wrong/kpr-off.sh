# upgraded Cilium with kubeProxyReplacement=false: services go back to needing kube-proxy
set -eu
sed -E -e "/^exec helm /{s/ '?install'? / upgrade /; s/\$/ --set kubeProxyReplacement=false/}" .lab/helm-cilium.sh | bash
kubectl -n kube-system rollout restart daemonset/cilium
kubectl -n kube-system rollout status daemonset/cilium --timeout=300s
