# applied only the webpod Deployment and Service, never the netpod client
set -eu
kubectl create deployment webpod --image=traefik/whoami:v1.10.1 --replicas=2
kubectl rollout status deployment/webpod --timeout=240s
