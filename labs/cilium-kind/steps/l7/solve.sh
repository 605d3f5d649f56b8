set -eu
mkdir -p policies
cp "$LAB_SOURCE/steps/l7/deathstar-policy.yaml" policies/deathstar-policy.yaml
kubectl apply -f policies/deathstar-policy.yaml
# Wait until Envoy enforces the HTTP rule: the exhaust port answers 403.
for _ in $(seq 60); do
  code=$(kubectl exec tiefighter -- curl -s -m 2 -o /dev/null -w '%{http_code}' -XPUT http://deathstar.default.svc.cluster.local/v1/exhaust-port || true)
  [ "$code" = 403 ] && exit 0
  sleep 1
done
echo "the L7 rule did not take effect within 60s"; exit 1
