#!/usr/bin/env bash
# `make test-tsan`: ThreadSanitizer over the code that runs threads of its own (RELIABILITY.md):
#   test_data_e2e       the loader's workers, queue and epoch restarts (1 and 3 threads), prepare's workers
#   test_data_badvideo  prepare's workers on failing videos, the loader on a portrait and a cut video
#   federated run       the instrumented fedvssl itself: synth, prepare, partition, then pretrain in one process
#                       (2 clients x 2 rounds, loaders and compute threads), the same with the two clients
#                       trained side by side (parallel_clients=2: worker threads, one model each, results handed
#                       over in order), and a round whose client diverges at its first step and leaves its loader
#                       with batches in flight
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
pass=0; fail=0
# the federated simulation, command by command; prints the step that failed
federated() {
  local b=$dir/fedvssl w
  w=$(mktemp -d /tmp/fedvssl_tsan_XXXXXX)
  local c="data_dir=$w/data pool_size=2 strategy.min_available_clients=2 data.batch=2 data.threads=2 data.crop=56 quiet=true"
  "$b" synth --out "$w/raw" --classes 2 --videos-per-class 4 --frames 20 --seed 3 --threads 2 >/dev/null &&
  "$b" prepare --dataset ucf101 --src "$w/raw" --out "$w/data" --threads 2 --quiet >/dev/null &&
  "$b" partition --json-path "$w/data/annotations" --output-path "$w/data/annotations/client_distribution" \
      --num-clients 2 >/dev/null &&
  "$b" pretrain $c rounds=2 max_iters=2 strategy.min_fit_clients=2 out="$w/run" 2>/dev/null &&
  [ -f "$w/run/fedvssl_results/round-2.npz" ] || { echo "federated run failed"; rm -rf "$w"; return 1; }
  "$b" pretrain $c rounds=2 max_iters=2 strategy.min_fit_clients=2 parallel_clients=2 out="$w/par" 2>/dev/null &&
  [ -f "$w/par/fedvssl_results/round-2.npz" ] || { echo "run with parallel_clients=2 failed"; rm -rf "$w"; return 1; }
  "$b" pretrain $c rounds=1 max_iters=3 strategy.min_fit_clients=1 fault.kind=nan fault.client=1 out="$w/nan" 2>/dev/null &&
  grep -q '"results": 1' "$w/nan/metrics.jsonl" || { echo "run with a diverging client failed"; rm -rf "$w"; return 1; }
  rm -rf "$w"
}
for t in test_data_e2e test_data_badvideo federated; do
  start=$(date +%s)
  if [ "$t" = federated ]; then out=$(federated 2>&1); rc=$?; else out=$("$dir/tests/$t" 2>&1); rc=$?; fi
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
