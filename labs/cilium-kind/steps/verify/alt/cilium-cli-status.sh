# checked with cilium-dbg status --verbose on every agent instead of one
set -eu
for p in $(kubectl -n kube-system get pods -l k8s-app=cilium -o name); do kubectl -n kube-system exec "$p" -c cilium-agent -- cilium-dbg status --verbose | grep -E "KubeProxyReplacement|Routing"; done
