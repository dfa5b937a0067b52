#!/usr/bin/env bash
# Runs every test binary in $1 and prints the closing line "N passed, N failed".
dir=${1:-build/tests}
pass=0; fail=0; failed=()
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.o|*.d) continue;; esac
  name=$(basename "$t")
  start=$(date +%s)
  if out=$("$t" 2>&1); then
    pass=$((pass+1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
  else
    fail=$((fail+1)); failed+=("$name"); echo "FAIL $name"; echo "$out" | tail -30 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
