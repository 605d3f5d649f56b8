# Starting state: the model cluster is up (the driver builds nodes, pods, routes); this starts
# the whoami server in webpod1, webpod2, deathstar and on the outside host "internet" (203.0.113.10)
# and waits until each one answers. No eBPF is loaded yet. The servers run inside the pods' network
# namespaces and in this lab's cgroup, so `lab down` stops them. `lab-on POD CMD` runs CMD in that
# pod, whatever the driver.
set -eu
command -v python3 >/dev/null || { echo "python3 is needed for the whoami pods"; exit 1; }
# pods.txt is the learner's map of the cluster: it must match what the driver built from lab.yaml.
while read -r name node ip _; do
  case $name in ''|'#'*|NAME) continue ;; esac
  # A few tries: on a busy host a member's holder can still be settling when setup starts.
  for i in $(seq 30); do
    have=$(lab-on "$name" ip -o -4 addr show dev eth0 2>&1) && grep -q " $ip/" <<< "$have" && continue 2
    sleep 0.2
  done
  echo "pods.txt says $name has $ip, but its eth0 does not (lab-on $name ip addr: ${have:-nothing}): fix pods.txt or lab.yaml"; exit 1
done < pods.txt
mkdir -p logs
for pod in webpod1 webpod2 deathstar internet; do
  nohup lab-on "$pod" python3 .lab/whoami.py --name "$pod" > "logs/$pod.log" 2>&1 < /dev/null &
done
for pod in webpod1 webpod2 deathstar internet; do
  for i in $(seq 100); do
    lab-on "$pod" curl -s -o /dev/null --max-time 1 http://127.0.0.1/ && break
    [ "$i" = 100 ] && { echo "whoami in $pod did not answer within 10 s:"; cat "logs/$pod.log"; exit 1; }
    sleep 0.1
  done
done
