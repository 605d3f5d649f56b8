# kubectl apply, then kubectl wait on every pod instead of rollout status
set -eu
kubectl apply -f manifests/netpod-webpod.yaml
kubectl wait --for=condition=Available deployment/webpod --timeout=240s
kubectl wait --for=condition=Ready pod --all --timeout=240s
