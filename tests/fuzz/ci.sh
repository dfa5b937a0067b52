#!/usr/bin/env bash
# `make fuzz-ci`: every fuzzer in $1 (build/fuzz) for $2 seconds (default 15) over its committed seed corpus
# tests/fuzz/corpus/<name>/ (new inputs go to a scratch copy, never into the repository), with its dictionary
# tests/fuzz/<name>.dict where there is one. Fails when any run finds a crash, a sanitizer error, a leak, a
# timeout (10 s per input) or a memory blow-up (2 GB); the input is kept as build/fuzz/findings/<name>-*.
# Prints one line per fuzzer: executions, coverage, new corpus entries.
set -u
dir=${1:-build/fuzz}
secs=${2:-15}
work=$(mktemp -d /tmp/fedvssl_fuzz_ci_XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/findings"
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  case "$f" in *.d|*.o) continue;; esac
  name=$(basename "$f"); short=${name#fuzz_}
  seeds=tests/fuzz/corpus/$short
  mkdir -p "$work/$short"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work/$short"/
  dict=(); [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  log="$work/$short.log"
  if "$f" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$dir/findings/$name-" "$work/$short" >"$log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' | awk '{print $2}')
    seeds_n=$(ls "$seeds" 2>/dev/null | wc -l)
    echo "ok   $name: ${execs:-?} executions in ${secs} s, coverage ${cov:-?}, corpus $seeds_n -> $(ls "$work/$short" | wc -l)"
  else
    fail=1
    echo "FAIL $name (input kept in $dir/findings/):"
    grep -E 'ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$log" | head -8 | sed 's/^/    /'
  fi
done
[ "$fail" = 0 ]
