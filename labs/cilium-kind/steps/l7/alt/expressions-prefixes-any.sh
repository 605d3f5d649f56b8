# matchExpressions, k8s: prefixes and protocol ANY
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/accept/expressions-prefixes-any.yaml
