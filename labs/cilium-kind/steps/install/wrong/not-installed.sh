# wrote the values file but never ran helm install
set -eu
cp "$LAB_SOURCE/helm/cilium-values.yaml" my-values.yaml
