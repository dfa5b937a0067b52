#!/usr/bin/env bash
# Runs every test binary in $1 and prints the closing line "N passed, N failed, N skipped".
# A binary that exits 77 (the automake convention) could not run here (e.g. no GPU): SKIP, not a pass.
# FEDVSSL_TEST_SCALE=small (set by `make sanitize`) makes the costliest tests leave out their slowest cases
# (test_model: the clip and 3-step cases; test_pretrain: the cpu-separate and compat=flower runs; test_kill: 2
# kills per run; tests/check.h).
# The exit status is non-zero only when a test failed.
dir=${1:-build/tests}
pass=0; fail=0; skip=0; failed=()
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.o|*.d) continue;; esac
  name=$(basename "$t")
  start=$(date +%s)
  out=$("$t" 2>&1); rc=$?
  if [ "$rc" = 0 ]; then
    pass=$((pass+1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
  elif [ "$rc" = 77 ]; then
    skip=$((skip+1)); echo "SKIP $name: $(echo "$out" | tail -1)"
  else
    fail=$((fail+1)); failed+=("$name"); echo "FAIL $name (exit $rc)"; echo "$out" | tail -30 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
