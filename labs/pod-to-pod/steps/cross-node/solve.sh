# From netpod (on k8s-s), curl the webpods on k8s-w1 and k8s-w2 and keep their answers.
set -eu
lab-on netpod ping -c 2 -W 1 172.16.1.11
lab-on netpod sh -c 'curl -s --max-time 5 http://172.16.1.11/ > webpod1.txt'
lab-on netpod sh -c 'curl -s --max-time 5 http://172.16.2.11/ > webpod2.txt'
cat webpod1.txt webpod2.txt
