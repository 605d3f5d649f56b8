# Starting state: three backend pods serve HTTP on :8080, the node routes the service range,
# no NAT rule and no BPF program exist yet, and .lab/target-n says how many services to build.
set -eu
chmod +x kube-rules.py measure.sh
backends=
for pod in be1 be2 be3; do
  # lab-on runs a command in another member of this lab (here: the pod) whatever the driver.
  ip=$(lab-on "$pod" ip -4 -o addr show dev eth0 | awk '{ split($4, a, "/"); print a[1] }')
  [ -n "$ip" ] || { echo "pod $pod has no IPv4 address on eth0"; exit 1; }
  # Started from the node but inside the pod's namespaces; the lab's cgroup still holds it,
  # so `lab down` ends it with everything else.
  nohup lab-on "$pod" python3 .lab/backend.py "$pod" 8080 > ".lab/$pod.log" 2>&1 < /dev/null &
  backends="$backends $ip:8080"
done
echo $backends > .lab/backends
# ClusterIPs (10.96/16 for the lesson, 10.100/16 for measure.sh) are routed towards the node's
# uplink, as a default route would; only a NAT rule or svclb makes them reach a backend.
ip route replace 10.96.0.0/12 dev eth0
# The learner builds a different number each time, so a check cannot pass on a stale answer.
echo $(( ($(od -An -N1 -tu1 /dev/urandom) % 8 + 3) * 20 )) > .lab/target-n
# measure.sh stamps every point with this id: results copied from another lab do not carry it.
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > .lab/run-id
for be in $backends; do
  for _ in $(seq 50); do
    curl -s -o /dev/null --max-time 0.5 "http://$be/" && continue 2
    sleep 0.1
  done
  echo "backend $be did not start:"; cat .lab/*.log; exit 1
done
