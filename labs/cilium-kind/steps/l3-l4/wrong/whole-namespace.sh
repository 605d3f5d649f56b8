# fromEndpoints: [{}] admits every pod of the namespace, the xwing included
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/reject/whole-namespace.yaml
