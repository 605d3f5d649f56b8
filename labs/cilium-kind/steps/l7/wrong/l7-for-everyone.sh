# the HTTP rule without the org=empire identity rule: the xwing may land too
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/reject/l7-for-everyone.yaml
