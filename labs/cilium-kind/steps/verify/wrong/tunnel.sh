# upgraded Cilium to VXLAN tunnelling instead of native routing
set -eu
sed -E -e "/^exec helm /{s/ '?install'? / upgrade /; s/\$/ --set routingMode=tunnel --set tunnelProtocol=vxlan --set autoDirectNodeRoutes=false/}" .lab/helm-cilium.sh | bash
kubectl -n kube-system rollout restart daemonset/cilium
kubectl -n kube-system rollout status daemonset/cilium --timeout=300s
