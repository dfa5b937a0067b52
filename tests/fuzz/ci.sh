#!/usr/bin/env bash
# `make fuzz-ci`: every fuzzer in $1 (build/fuzz) for $2 seconds (default 15) over its committed seed corpus
# tests/fuzz/corpus/<name>/ (new inputs go to a scratch copy, never into the repository), with its dictionary
# tests/fuzz/<name>.dict where there is one. Fails when any run finds a crash, a sanitizer error, a leak, a
# timeout (10 s per input) or a memory blow-up (2 GB); the input is kept as build/fuzz/findings/<name>-*.
# Prints one line per fuzzer: executions, coverage, new corpus entries.
set -u
. "$(dirname "$0")/common.sh"
dir=${1:-build/fuzz}
secs=${2:-15}
work=$(mktemp -d /tmp/fedvssl_fuzz_ci_XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/findings"
fail=0
for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  case "$f" in *.d|*.o) continue;; esac
  name=$(basename "$f"); short=${name#fuzz_}
  fuzz_seed "$work/$short" "$short"
  seeds_n=$(ls "$work/$short" | wc -l)
  fuzz_dict "$short"
  log="$work/$short.log"
  if "$f" "${FUZZ_DICT[@]}" -max_total_time="$secs" "${FUZZ_LIMITS[@]}" -artifact_prefix="$dir/findings/$name-" \
       "$work/$short" >"$log" 2>&1; then
    echo "ok   $name: $(fuzz_execs "$log") executions in ${secs} s, coverage $(fuzz_cov "$log"), corpus $seeds_n -> $(ls "$work/$short" | wc -l)"
  else
    fail=1
    echo "FAIL $name (input kept in $dir/findings/):"
    fuzz_failure "$log"
  fi
done
[ "$fail" = 0 ]
