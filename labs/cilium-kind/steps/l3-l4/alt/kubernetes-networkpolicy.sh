# a Kubernetes NetworkPolicy instead of a CiliumNetworkPolicy
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/accept/kubernetes-networkpolicy.yaml
