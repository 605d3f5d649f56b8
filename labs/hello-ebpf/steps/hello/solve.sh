set -eu
. "$LAB_WORKDIR/.lab/start-hello.sh"
