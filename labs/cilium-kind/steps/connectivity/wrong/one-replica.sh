# scaled webpod to one replica: the Service has nothing to balance over, nothing crosses nodes twice
set -eu
kubectl apply -f manifests/netpod-webpod.yaml
kubectl scale deployment/webpod --replicas=1
kubectl rollout status deployment/webpod --timeout=240s
kubectl wait --for=condition=Ready pod/netpod --timeout=240s
