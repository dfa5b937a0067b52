# Sourced by tests/fuzz/ci.sh and tests/fuzz/long.sh: the one place for the limits, sanitizer options and log
# reading that the bounded CI runs and the long campaign share.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# What counts as a finding besides a crash or a sanitizer report: 10 s for one input, 2 GB of memory.
FUZZ_LIMITS=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)

# fuzz_seed DIR SHORT: copies the committed seeds of fuzzer SHORT (tests/fuzz/corpus/SHORT/, if any) into DIR.
fuzz_seed() {
  mkdir -p "$1"
  [ -d "tests/fuzz/corpus/$2" ] && cp -r "tests/fuzz/corpus/$2"/. "$1"/
  return 0
}

# fuzz_dict SHORT: sets FUZZ_DICT to the -dict= argument of fuzzer SHORT (tests/fuzz/SHORT.dict), or to nothing.
fuzz_dict() {
  FUZZ_DICT=()
  [ -f "tests/fuzz/$1.dict" ] && FUZZ_DICT=(-dict="tests/fuzz/$1.dict")
  return 0
}

# fuzz_execs LOG: the executions of a run; from its final stats, or from its last progress line when it was
# stopped before printing them. Prints 0 when there is neither.
fuzz_execs() {
  local n
  n=$(grep -m1 'stat::number_of_executed_units' "$1" | awk '{print $2}')
  [ -n "$n" ] || n=$(grep -E '^#[0-9]+' "$1" | tail -1 | grep -oE '^#[0-9]+' | tr -d '#')
  echo "${n:-0}"
}

# fuzz_cov LOG: the coverage of the last progress line ("#<executions> ... cov: <n> ..."), or "?".
fuzz_cov() {
  local c
  c=$(grep -E '^#[0-9]+' "$1" | tail -1 | grep -o 'cov: [0-9]*' | awk '{print $2}')
  echo "${c:-?}"
}

# fuzz_failure LOG: the lines of a finding worth showing, indented.
fuzz_failure() {
  grep -E 'ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$1" | head -8 | sed 's/^/    /'
}
