# matchExpressions instead of matchLabels
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/accept/match-expressions.yaml
