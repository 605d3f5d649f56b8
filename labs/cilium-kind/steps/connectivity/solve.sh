set -eu
kubectl apply -f manifests/netpod-webpod.yaml
kubectl rollout status deployment/webpod --timeout=240s
kubectl wait --for=condition=Ready pod/netpod --timeout=240s
kubectl get pods -o wide
kubectl exec netpod -- curl -s -m 2 http://webpod/ | grep Hostname
