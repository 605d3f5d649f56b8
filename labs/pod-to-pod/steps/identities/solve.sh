# One identity per label set (numbers from 256 up; lower ones are reserved), written for every pod IP
# into the ipcache on deathstar's node.
set -eu
id() { lab-on k8s-w2 ./bpf/.output/idpolicy identity "$@"; }
id 172.16.0.11 1001   # netpod      app=netpod
id 172.16.1.11 1002   # webpod1     app=webpod
id 172.16.2.11 1002   # webpod2     app=webpod (same labels, same identity)
id 172.16.0.12 1003   # tiefighter  class=tiefighter,org=empire
id 172.16.1.12 1004   # xwing       class=xwing,org=alliance
id 172.16.2.12 1005   # deathstar   class=deathstar,org=empire
