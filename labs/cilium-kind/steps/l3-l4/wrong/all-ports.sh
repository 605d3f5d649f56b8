# org=empire allowed on every port (no toPorts): more than TCP 80
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/reject/all-ports.yaml
