#!/usr/bin/env bash
# The long fuzzing run, by hand (RELIABILITY.md): every fuzzer in $1 (build/fuzz, from `make fuzz`) for $2
# executions (default 10,000,000), $3 at a time (default: the number of cores), at most $4 seconds each (default
# no limit; the line then says how many executions it reached), each over a scratch copy of
# its committed corpus, with the same limits as `make fuzz-ci`. Prints one line per fuzzer: executions,
# seconds, executions per second, coverage, corpus growth; findings go to build/fuzz/findings/. Exit 1 on
# any finding. Example: bash tests/fuzz/long.sh build/fuzz 10000000 2 | tee build/fuzz/long.txt
# Only the fuzzers named in FUZZERS (e.g. FUZZERS="fuzz_npy fuzz_npz") when it is set.
set -u
dir=${1:-build/fuzz}
runs=${2:-10000000}
par=${3:-$(nproc)}
limit=${4:-0}
work=$(mktemp -d /tmp/fedvssl_fuzz_long_XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/findings"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

one() { # $1: fuzzer binary
  local f=$1 name short seeds dict log start rc
  name=$(basename "$f"); short=${name#fuzz_}
  seeds=tests/fuzz/corpus/$short
  mkdir -p "$work/$short"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work/$short"/
  dict=(); [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  log="$work/$short.log"
  start=$(date +%s)
  "$f" "${dict[@]}" -runs="$runs" -max_total_time="$limit" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/$name-" "$work/$short" >"$log" 2>&1
  rc=$?
  local secs=$(( $(date +%s) - start )) execs cov
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' | awk '{print $2}')
  if [ "$rc" = 0 ]; then
    echo "ok   $name: ${execs:-?} executions in $secs s ($(( ${execs:-0} / (secs > 0 ? secs : 1) ))/s), coverage ${cov:-?}, corpus $(ls "$seeds" 2>/dev/null | wc -l) -> $(ls "$work/$short" | wc -l)"
  else
    echo "FAIL $name after $secs s (input kept in $dir/findings/):"
    grep -E 'ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$log" | head -8 | sed 's/^/    /'
  fi
}

for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  [ -n "${FUZZERS:-}" ] && [[ " $FUZZERS " != *" $(basename "$f") "* ]] && continue
  case "$f" in *.d|*.o) continue;; esac
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do sleep 1; done
  one "$f" | tee -a "$work/summary" &
done
wait
! grep -q '^FAIL' "$work/summary"
