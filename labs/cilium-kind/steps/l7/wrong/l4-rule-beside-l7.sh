# the L7 rule added beside the old L4 rule: the L4 rule lets every HTTP call in
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/reject/l4-rule-beside-l7.yaml
