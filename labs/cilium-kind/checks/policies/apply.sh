# Used by steps/*/wrong|alt/*.sh: the Star Wars demo up (as step l3-l4's solve.sh leaves it), then
# one policy file from checks/policies applied in place of the reference, and time for the agents
# to regenerate the deathstar's programs. usage: . apply.sh <step>/<accept|reject>/<file>.yaml [namespace]
kubectl apply -f manifests/starwars.yaml >/dev/null
kubectl rollout status deployment/deathstar --timeout=240s >/dev/null
kubectl wait --for=condition=Ready pod/tiefighter pod/xwing --timeout=240s >/dev/null
kubectl delete ciliumnetworkpolicy,networkpolicy --all -n default --ignore-not-found >/dev/null
mkdir -p policies
cp "$LAB_SOURCE/checks/policies/$1" policies/deathstar-policy.yaml
kubectl apply -n "${2:-default}" -f policies/deathstar-policy.yaml
sleep 8
