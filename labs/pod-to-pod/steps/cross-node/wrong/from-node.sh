# Right command, wrong place: runs the curls on node k8s-s instead of in netpod, so the webpods see the node's address.
set -eu
lab-on k8s-s sh -c 'curl -s --max-time 5 http://172.16.1.11/ > webpod1.txt'
lab-on k8s-s sh -c 'curl -s --max-time 5 http://172.16.2.11/ > webpod2.txt'
