#!/usr/bin/env bash
# precision=bf16 against fp32 over a CtP loss curve: the same centralized run (same seed, so the same batches and
# the same initial weights) in both precisions, every step's loss logged. Prints per block of BLOCK steps the mean
# loss of each, their difference, and the fp32 block's standard error (the spread of its step losses /
# sqrt(BLOCK)): bf16 follows fp32 within fp32's own noise where the difference stays within ~2 standard errors.
# Needs a CPU with AVX-512 BF16. Usage:
#   bash bench/bf16_curve.sh [work dir]        (STEPS (300), CROP (32), THREADS (1), BLOCK (20) override)
set -euo pipefail
B=${FEDVSSL:-$(cd "$(dirname "$0")/.." && pwd)/build/fedvssl}
W=${1:-/tmp/fedvssl_bf16_curve}
STEPS=${STEPS:-300} CROP=${CROP:-32} THREADS=${THREADS:-1} BLOCK=${BLOCK:-20}
mkdir -p "$W"
cd "$W"
if [ ! -d data/zips ]; then
  "$B" synth --out raw --classes 10 --videos-per-class 24 --frames 60 --size 160x120 --seed 11 >/dev/null
  "$B" prepare --dataset ucf101 --src raw --out data --quiet
fi
[ -d data/annotations/c1 ] ||
  "$B" partition --json-path data/annotations --output-path data/annotations/c1 --num-clients 1 >/dev/null
rounds=$(( (STEPS + 39) / 40 )) # 160 train videos, batch 4: 40 steps an epoch
for p in fp32 bf16; do
  rm -rf "curve_$p"
  /usr/bin/time -f "$p: %e s" "$B" pretrain data_dir=data partition_dir=annotations/c1 pool_size=1 strategy.min_fit_clients=1 \
    strategy.min_available_clients=1 strategy.fedavg=true data.reseed_each_round=false rounds="$rounds" \
    data.crop="$CROP" data.threads="$THREADS" eval.batches=0 log_interval=1 precision=$p out="curve_$p" quiet=true
done
/usr/bin/python3 - "$STEPS" "$BLOCK" <<'EOF'
import json, math, sys
steps, block = int(sys.argv[1]), int(sys.argv[2])
def losses(run):
    out = []
    for line in open(f"{run}/metrics.jsonl"):
        d = json.loads(line)
        if d.get("event") == "train":
            out.append(d["loss"])
    return out[:steps]
a, b = losses("curve_fp32"), losses("curve_bf16")
n = min(len(a), len(b))
print(f"{n} steps; per block of {block}: mean loss fp32, bf16, difference, fp32 standard error")
inside = 0
for s in range(0, n - block + 1, block):
    x, y = a[s:s + block], b[s:s + block]
    mx, my = sum(x) / block, sum(y) / block
    se = math.sqrt(sum((v - mx) ** 2 for v in x) / (block - 1) / block)
    inside += abs(my - mx) <= 2 * se
    print(f"steps {s + 1:4d}-{s + block:4d}  {mx:.4f}  {my:.4f}  {my - mx:+.4f}  {se:.4f}")
print(f"blocks within 2 standard errors: {inside} of {n // block}; mean |step difference| "
      f"{sum(abs(p - q) for p, q in zip(a, b)) / n:.4f}, mean loss fp32 {sum(a[:n]) / n:.4f}, bf16 {sum(b[:n]) / n:.4f}")
EOF
