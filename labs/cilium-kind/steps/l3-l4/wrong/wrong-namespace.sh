# the right policy applied in namespace kube-system, where no deathstar runs
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/accept/reference.yaml kube-system
