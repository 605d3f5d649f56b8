# path /v1/request-lan.* also admits /v1/request-landingx (the check cannot send it; the policy says so)
set -eu
. "$LAB_SOURCE/checks/policies/apply.sh" l7/reject/prefix-regex.yaml
