# org=alliance instead of org=empire: the rebels land, the empire is locked out
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l3-l4/reject/wrong-org.yaml
