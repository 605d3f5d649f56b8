set -eu
kubectl apply -f manifests/starwars.yaml
kubectl rollout status deployment/deathstar --timeout=240s
kubectl wait --for=condition=Ready pod/tiefighter pod/xwing --timeout=240s
mkdir -p policies
cp "$LAB_SOURCE/steps/l3-l4/deathstar-policy.yaml" policies/deathstar-policy.yaml
kubectl apply -f policies/deathstar-policy.yaml
# The agents regenerate the deathstar endpoints' programs; wait until the xwing is refused.
for _ in $(seq 30); do
  kubectl exec xwing -- curl -s -m 1 -XPOST http://deathstar.default.svc.cluster.local/v1/request-landing >/dev/null || exit 0
  sleep 1
done
echo "the policy did not take effect within 30s"; exit 1
