#!/usr/bin/env bash
# CI stage "mutate": proves the tests can fail. Each mutation in scripts/mutations.txt breaks one
# documented behaviour in a scratch copy of this tree; the named test file must then FAIL. Before
# that, each named test must PASS on the unmutated copy (a test that always fails proves nothing).
#
# usage: sudo scripts/mutate.sh [LIST]        (LIST defaults to scripts/mutations.txt)
#        MUTATE_ONLY=REGEX scripts/mutate.sh  (only the mutations whose name matches, for development)
# Exits non-zero when a mutation is missed, does not apply (one of its sed lines changed nothing: the code
# moved, update the mutation; or a web mutant does not build), or a baseline test fails.
#
# LIST format: blocks separated by blank lines, `#` comments.
#   name = what breaks, in words
#   file = path/in/repo.ts          the file to mutate
#   sed  = s/old/new/               a sed expression (several `sed =` lines apply in order)
#   test = path/to/some.test.ts     the test file that must catch it
#   only = regex                    optional: --test-name-pattern, to run only the relevant tests
#   rebuild = web                   optional: `next build` the mutated web into a dist dir of its
#                                   own (ELAB_WEB_DIST_DIR) for this test only; the clean build stays
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO"
LIST=${1:-scripts/mutations.txt}
[ -f "$LIST" ] || die "mutation list $LIST not found (pass a file, or restore scripts/mutations.txt)"
TEST_TIMEOUT=${MUTATE_TEST_TIMEOUT:-900}

names=() files=() seds=() tests=() onlys=() rebuilds=()
parse() {
  local n=-1 lineno=0 key val
  add() { n=$((n + 1)); names[n]=''; files[n]=''; seds[n]=''; tests[n]=''; onlys[n]=''; rebuilds[n]=''; }
  local open=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [[ $line =~ ^[[:space:]]*# ]] && continue
    if [[ -z ${line//[[:space:]]/} ]]; then open=0; continue; fi
    [[ $line =~ ^[[:space:]]*([a-z]+)[[:space:]]*=[[:space:]]?(.*)$ ]] || die "$LIST:$lineno: expected 'key = value', got: $line"
    key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
    [ $open = 1 ] || { add; open=1; }
    case $key in
      name) names[n]=$val ;; file) files[n]=$val ;; test) tests[n]=$val ;; only) onlys[n]=$val ;; rebuild) rebuilds[n]=$val ;;
      sed) seds[n]+="$val"$'\n' ;;
      *) die "$LIST:$lineno: unknown key '$key' (name, file, sed, test, only, rebuild)" ;;
    esac
  done <"$LIST"
  local i
  for i in "${!names[@]}"; do
    for k in name file sed test; do
      local -n arr="${k}s"
      [ -n "${arr[i]}" ] || die "$LIST: mutation $((i + 1)) (${names[i]:-unnamed}) has no '$k ='"
    done
    [ -f "${files[i]}" ] || die "$LIST: mutation '${names[i]}': file ${files[i]} does not exist"
    [ -f "${tests[i]}" ] || die "$LIST: mutation '${names[i]}': test ${tests[i]} does not exist"
  done
}
parse
[ ${#names[@]} -gt 0 ] || die "$LIST lists no mutations"

# The scratch copy: the tree as it is now (committed or not, minus ignored files), build outputs
# copied, dependencies hard-linked (sed -i and the restore below replace files, never write into them).
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/elab-mutate-XXXXXX")
chmod 755 "$SCRATCH" # the web drops root to nobody and must still read its own tree
running=''
trap 'if [ -n "$running" ]; then kill -- -"$running" 2>/dev/null; sleep 1; fi; rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT TERM
say "mutate: copying the tree to $SCRATCH"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$SCRATCH" || die "copying the tree failed"
for d in node_modules apps/labd/node_modules apps/web/node_modules apps/web/public; do [ -e "$d" ] && cp -al "$d" "$SCRATCH/$d"; done
# apps/labd/dist: a mutant of a labd source changes its hash, so lab/labd run that source instead.
# apps/labd/native/pidfd.node: the terminal handoff's addon (gitignored, built by build:labd).
for d in bpf/.output apps/labd/dist apps/labd/native/pidfd.node apps/web/.next apps/web/next-env.d.ts; do [ -e "$d" ] && cp -a "$d" "$SCRATCH/$d"; done

# Runs one test file in the scratch copy; the web's tests from apps/web, as scripts/test-web.sh does.
run_test() { # test only log
  local test=$1 only=$2 log=$3 dir=$SCRATCH rel=$1
  if [[ $test == apps/web/* ]]; then dir=$SCRATCH/apps/web rel=${test#apps/web/}; fi
  local pat=(); [ -n "$only" ] && pat=(--test-name-pattern="$only")
  # shellcheck disable=SC2086 # NODE_TEST_FLAGS is a list of flags
  # timeout runs the test in a process group of its own: remembered, so an interrupted run ends it too.
  (cd "$dir" && exec timeout --kill-after=30 "$TEST_TIMEOUT" node --import tsx --test $NODE_TEST_FLAGS "${pat[@]}" "$rel") >"$log" 2>&1 &
  running=$!
  wait "$running"; local rc=$?
  running=''
  return $rc
}
rebuild_web() { (cd "$SCRATCH" && ELAB_WEB_DIST_DIR=.next-mutant npm run -s -w @ebpf-lab/web build) >"$1" 2>&1; }

picked() { [ -z "${MUTATE_ONLY:-}" ] || [[ ${names[$1]} =~ $MUTATE_ONLY ]]; }

# A mutant of clean-up code leaves behind what it fails to clean (that is what its test catches).
# After each mutation, lab cgroups made during this run that hold no process are removed, so the
# stage leaves the host as it found it; cgroups that existed before, or hold a process, stay.
lab_cgroups() { ls -d /sys/fs/cgroup/*/ebpf-lab/el* 2>/dev/null | sort; }
cgroups_before=$(lab_cgroups)
sweep_cgroups() {
  local d
  for d in $(comm -13 <(echo "$cgroups_before") <(lab_cgroups)); do
    [ -n "$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null && echo "            (removed $d, left by the mutant)"
  done
}

t_all=$SECONDS
bad=0
say "mutate: baseline (every named test passes on the unmutated copy)"
declare -A base_done=()
for i in "${!names[@]}"; do
  picked "$i" || continue
  key="${tests[i]}|${onlys[i]}"
  [ -n "${base_done[$key]:-}" ] && continue
  base_done[$key]=1
  log=$SCRATCH/.baseline-$i.log t0=$SECONDS
  if run_test "${tests[i]}" "${onlys[i]}" "$log"; then echo "  ok      ${tests[i]}${onlys[i]:+ (only: ${onlys[i]})} ($((SECONDS - t0)) s)"
  else echo "  FAILED  ${tests[i]} fails unmutated ($((SECONDS - t0)) s); its output:"; tail -40 "$log" | sed 's/^/    /'; bad=$((bad + 1)); fi
done
[ $bad -eq 0 ] || { echo "mutate: $bad baseline test(s) fail without any mutation: fix them first"; exit 1; }

say "mutate: ${#names[@]} mutations"
caught=0 missed=() stale=()
for i in "${!names[@]}"; do
  if ! picked "$i"; then echo "SKIP: mutation ${names[i]} — not matched by MUTATE_ONLY=$MUTATE_ONLY"; continue; fi
  target=$SCRATCH/${files[i]}
  cp -a "$target" "$SCRATCH/.orig"
  # Each sed line in turn, and each must change the file: one that matches nothing (code that
  # moved or was re-wrapped) would leave a partial mutant that proves nothing about the test.
  noop=''
  while IFS= read -r e; do
    [ -n "$e" ] || continue
    cp -a "$target" "$SCRATCH/.step"
    sed -i -e "$e" "$target"
    if cmp -s "$target" "$SCRATCH/.step"; then noop=$e; break; fi
  done <<<"${seds[i]}"
  if [ -n "$noop" ]; then
    cp -a "$SCRATCH/.orig" "$target"
    echo "  STALE   ${names[i]}: \`sed $noop\` changed nothing in ${files[i]} (the code moved: update $LIST)"
    stale+=("${names[i]}"); continue
  fi
  log=$SCRATCH/.mutation-$i.log t0=$SECONDS ok=1
  unset ELAB_WEB_DIST_DIR
  if [ "${rebuilds[i]}" = web ]; then rebuild_web "$log" && export ELAB_WEB_DIST_DIR=.next-mutant || ok=0; fi
  # A mutant that does not build proves nothing about the test: it counts as not applied.
  if [ $ok = 0 ]; then result=nobuild
  elif run_test "${tests[i]}" "${onlys[i]}" "$log"; then result=missed
  else result=caught; fi
  unset ELAB_WEB_DIST_DIR
  rm -rf "$SCRATCH/apps/web/.next-mutant"
  mv -f "$SCRATCH/.orig" "$target"
  if [ "$result" = nobuild ]; then
    echo "  NOBUILD ${names[i]}: the mutated web does not build (fix the mutation); $(grep -a -m1 -iE 'error' "$log" | cut -c1-120)"
    stale+=("${names[i]} (does not build)")
  elif [ "$result" = missed ]; then
    echo "  MISSED  ${names[i]} (${files[i]} → ${tests[i]}, $((SECONDS - t0)) s)"; missed+=("${names[i]}")
  else
    caught=$((caught + 1)); echo "  caught  ${names[i]} ($((SECONDS - t0)) s)"
    grep -a -m2 -E '^\s*(✖ |[A-Za-z]*Error( \[[A-Z_]+\])?:)' "$log" | cut -c1-160 | sed 's/^ */            /'
  fi
  sweep_cgroups
done

say "mutate: summary ($((SECONDS - t_all)) s)"
echo "mutations: $caught caught, ${#missed[@]} missed, ${#stale[@]} did not apply"
for m in "${missed[@]}"; do echo "  missed: $m"; done
for m in "${stale[@]}"; do echo "  did not apply: $m"; done
[ ${#missed[@]} -eq 0 ] && [ ${#stale[@]} -eq 0 ]
