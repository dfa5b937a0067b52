#!/usr/bin/env bash
# `make test-tsan`: ThreadSanitizer over the code that runs threads of its own (RELIABILITY.md):
#   test_data_e2e       the loader's workers, queue and epoch restarts (1 and 3 threads), prepare's workers
#   test_data_badvideo  prepare's workers on failing videos, the loader on a portrait and a cut video
#   test_pretrain       the federated simulation in one process (clients, server, strategy), whose loaders
#                       and compute threads run under it; FEDVSSL_TEST_SCALE=small, MPI left out (processes)
# $1 is the build folder (build-tsan), built with clang -fsanitize=thread; OpenMP is LLVM's libomp, whose Archer
# tool tells TSan about OpenMP's barriers and locks, so parallel loops are checked too. Any report fails the run.
set -u
dir=${1:-build-tsan}
archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -1)
if [ -z "$archer" ]; then
  echo "tsan.sh: LLVM's libarcher.so not found (Debian libomp-dev): OpenMP would give false reports" >&2
  exit 1
fi
export OMP_TOOL_LIBRARIES=$archer
export ARCHER_OPTIONS=${ARCHER_OPTIONS:-verbose=0}
# Every process (the tests run the fedvssl program too, often with its output discarded) writes its reports to
# $reports/tsan.<pid>: a report anywhere fails the test that caused it.
reports=$dir/tsan-reports
rm -rf "$reports"; mkdir -p "$reports"
# ignore_noninstrumented_modules: libomp, oneDNN and FFmpeg are not instrumented; their own locking is not ours to check
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 exitcode=66 ignore_noninstrumented_modules=1 log_path=$PWD/$reports/tsan}
export FEDVSSL_TEST_SCALE=small
pass=0; fail=0
for t in test_data_e2e test_data_badvideo test_pretrain; do
  start=$(date +%s)
  out=$("$dir/tests/$t" 2>&1); rc=$?
  found=$(ls "$reports" | wc -l)
  if [ "$rc" = 0 ] && [ "$found" = 0 ]; then
    pass=$((pass+1)); echo "PASS $t under ThreadSanitizer ($(( $(date +%s) - start ))s)"
  else
    fail=$((fail+1)); echo "FAIL $t under ThreadSanitizer (exit $rc, $found report file(s))"
    for r in "$reports"/*; do [ -f "$r" ] && head -40 "$r" | sed 's/^/    /'; done
    tail -15 <<<"$out" | sed 's/^/    /'
    mkdir -p "$dir/tsan-failed/$t" && mv "$reports"/* "$dir/tsan-failed/$t"/ 2>/dev/null
  fi
done
echo "ThreadSanitizer: $pass passed, $fail failed"
[ "$fail" = 0 ]
