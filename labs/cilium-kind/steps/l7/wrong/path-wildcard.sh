# path /v1/.* lets the tiefighter at the exhaust port too
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/reject/path-wildcard.yaml
