# Runs the learner's own trace-execve.bt, as they were told to.
set -eu
. "$LAB_WORKDIR/.lab/start-bpftrace.sh"
