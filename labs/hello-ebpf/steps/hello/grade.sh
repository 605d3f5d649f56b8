# Builds and runs the learner's own bpf/hello sources.
set -eu
. "$LAB_WORKDIR/.lab/start-hello.sh"
