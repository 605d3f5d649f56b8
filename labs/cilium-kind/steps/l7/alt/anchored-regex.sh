# method and path as anchored regular expressions
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/accept/anchored-regex.yaml
