# Shared by the labs' scripts that take options (lab.yaml `lib: [options.sh]` puts it at
# .lab/options.sh in the workdir, on every driver), e.g. measure.sh:
#   source .lab/options.sh
#   options "--sizes=sizes --out=out" "$@"
# sets $sizes from `--sizes VALUE` and $out from `--out VALUE`, in any order; a variable whose
# option is not given keeps its default. An unknown option, or one without a value, calls the
# script's own usage function.
options() {
  local spec=$1 pair var
  shift
  while [ $# -gt 0 ]; do
    var=
    for pair in $spec; do
      [ "$1" = "${pair%%=*}" ] && var=${pair#*=}
    done
    { [ -n "$var" ] && [ $# -ge 2 ]; } || usage
    printf -v "$var" '%s' "$2"
    shift 2
  done
}
