#!/usr/bin/env bash
# The long fuzzing campaign, by hand (RELIABILITY.md): every fuzzer in $1 (build/fuzz, from `make fuzz`) until it
# has run $2 executions in all (default 10,000,000), $3 at a time (default: the number of cores), at most $4
# seconds per call (default no limit), with the same limits as `make fuzz-ci`. A campaign can span several calls:
# each fuzzer's grown corpus stays in $1/long/<name>/ (started from its committed seeds) and its executions so
# far in $1/long/<name>.execs, so a capped run goes on where it stopped the next time (libFuzzer resumes from
# the corpus, as one longer run would). Delete $1/long/ to start over. Prints one line per fuzzer: executions
# of this call and of the campaign, seconds, executions per second, coverage, corpus size; findings go to
# $1/findings/. Exit 1 on any finding. Killing a fuzzer (SIGTERM, Ctrl-C) ends its call with what it has done
# counted, its last progress line giving the executions.
# Example: bash tests/fuzz/long.sh build/fuzz 10000000 2 3600 | tee -a build/fuzz/long.txt
# Inputs are picked for mutation less often the longer they take (-entropic_scale_per_exec_time): fuzz_framepack's
# corpus drifts to 10-clip and 112-pixel samples that take 10-20 ms against 1-2 ms; with it, 2.8x the
# executions in the same time and the same coverage.
# Only the fuzzers named in FUZZERS (e.g. FUZZERS="fuzz_npy fuzz_npz") when it is set. JOBS=<n> (default 1) runs
# n processes per fuzzer over its one corpus folder, as libFuzzer's -jobs does (each reloads the folder every
# second, so they share finds), sharing its executions left: a slow fuzzer then uses the cores others have left.
set -u
. "$(dirname "$0")/common.sh"
dir=${1:-build/fuzz}
target=${2:-10000000}
par=${3:-$(nproc)}
limit=${4:-0}
camp=$dir/long
logs=$(mktemp -d /tmp/fedvssl_fuzz_long_XXXXXX)
trap 'rm -rf "$logs"' EXIT
mkdir -p "$dir/findings" "$camp"

one() { # $1: fuzzer binary
  local f=$1 name short start done_before left
  name=$(basename "$f"); short=${name#fuzz_}
  [ -d "$camp/$short" ] || fuzz_seed "$camp/$short" "$short"
  done_before=$(cat "$camp/$short.execs" 2>/dev/null || echo 0)
  left=$(( target - done_before ))
  if [ "$left" -le 0 ]; then
    echo "ok   $name: $done_before executions already (campaign done)"
    return
  fi
  fuzz_dict "$short"
  local jobs=${JOBS:-1} pids=() j secs execs=0 cov=? rc=0 r
  start=$(date +%s)
  for (( j = 1; j <= jobs; j++ )); do
    "$f" "${FUZZ_DICT[@]}" -runs="$(( (left + jobs - j) / jobs ))" -max_total_time="$limit" "${FUZZ_LIMITS[@]}" \
      -entropic_scale_per_exec_time=1 -artifact_prefix="$dir/findings/$name-" "$camp/$short" >"$logs/$short.$j.log" 2>&1 &
    pids+=($!)
  done
  for (( j = 1; j <= jobs; j++ )); do
    wait "${pids[j - 1]}"; r=$?
    case $r in 0 | 72 | 130 | 143) ;; *) rc=$r ;; esac # 72: libFuzzer interrupted (SIGTERM, Ctrl-C)
    execs=$(( execs + $(fuzz_execs "$logs/$short.$j.log") ))
    [ "$cov" = "?" ] && cov=$(fuzz_cov "$logs/$short.$j.log")
  done
  secs=$(( $(date +%s) - start ))
  echo $(( done_before + execs )) >"$camp/$short.execs"
  if [ "$rc" = 0 ]; then
    echo "ok   $name: $execs executions in $secs s ($(( execs / (secs > 0 ? secs : 1) ))/s$([ "$jobs" -gt 1 ] && echo " in $jobs processes")), $(( done_before + execs )) of $target in the campaign, coverage $cov, corpus $(ls "$camp/$short" | wc -l)"
  else
    echo "FAIL $name after $secs s, exit $rc (input kept in $dir/findings/):"
    for (( j = 1; j <= jobs; j++ )); do fuzz_failure "$logs/$short.$j.log"; done
  fi
}

for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  [ -n "${FUZZERS:-}" ] && [[ " $FUZZERS " != *" $(basename "$f") "* ]] && continue
  case "$f" in *.d|*.o) continue;; esac
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do sleep 1; done
  one "$f" | tee -a "$logs/summary" &
done
wait
! grep -q '^FAIL' "$logs/summary"
