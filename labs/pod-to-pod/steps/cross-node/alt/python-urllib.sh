# Another client: Python's urllib from netpod instead of curl, writing the answers itself.
set -eu
for t in webpod1:172.16.1.11 webpod2:172.16.2.11; do
  lab-on netpod python3 -c 'import sys, urllib.request; open(sys.argv[1], "wb").write(urllib.request.urlopen(sys.argv[2], timeout=5).read())' "${t%%:*}.txt" "http://${t#*:}/"
done
