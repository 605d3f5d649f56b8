# any: label prefixes and protocol ANY
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/accept/any-prefix-protocol-any.yaml
