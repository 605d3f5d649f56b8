# Fake evidence: types the whoami answers in by hand (copied from the lesson) instead of curling.
set -eu
for t in webpod1:172.16.1.11 webpod2:172.16.2.11; do
  printf 'Hostname: %s\nIP: 127.0.0.1\nIP: %s\nRemoteAddr: 172.16.0.11:43210\nGET / HTTP/1.1\nHost: %s\n\n' "${t%%:*}" "${t#*:}" "${t#*:}" > "${t%%:*}.txt"
done
