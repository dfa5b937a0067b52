#!/usr/bin/env bash
# Fine-tuning on small data: does the reference schedule (lr 0.01 from the first step, batch 4) diverge, and do
# a linear warm-up or a lower learning rate fix it? From scratch (the recipe must work before pre-training can be
# judged by it), on the synthetic UCF-style set of bench/ctp_budget.sh, several seeds per recipe; per run the
# training loss of the first and last epochs (ln(classes) is a constant guess: above it the run has diverged or
# learned nothing), the largest gradient norm logged (every 5 steps), and test top-1 with a 95 % Wilson interval over the test
# videos; per recipe the mean top-1 over seeds. Usage:
#   bash bench/finetune_recipe.sh [work dir]          (~5 min a run at crop 32 on 2 cores: run it in the background)
# Environment: EPOCHS (15), CROP (32), SEEDS ("1 2 3"), THREADS (0 = all), RECIPES (names below), CLASSES, VPC.
set -euo pipefail
B=${FEDVSSL:-$(cd "$(dirname "$0")/.." && pwd)/build/fedvssl}
W=${1:-/tmp/fedvssl_ctp_budget}
EPOCHS=${EPOCHS:-15} CROP=${CROP:-32} SEEDS=${SEEDS:-1 2 3} THREADS=${THREADS:-0} CLASSES=${CLASSES:-10} VPC=${VPC:-24}
RECIPES=${RECIPES:-reference warmup lr0.001}
mkdir -p "$W"
cd "$W"
if [ ! -d data/zips ]; then
  "$B" synth --out raw --classes "$CLASSES" --videos-per-class "$VPC" --frames 60 --size 160x120 --seed 11 >/dev/null
  "$B" prepare --dataset ucf101 --src raw --out data --quiet
fi
steps=$(/usr/bin/python3 -c "import json; print(len(json.load(open('data/annotations/train_split_1.json'))) // 4)")
for recipe in $RECIPES; do
  case $recipe in
    reference) args=() ;;                                   # lr 0.01, no warm-up: the original's schedule
    warmup) args=(warmup_iters=$((2 * steps))) ;;           # mmcv's linear warm-up over the first two epochs
    lr0.001) args=(optimizer.lr=0.001) ;;                   # ten times lower
    *) echo "unknown recipe $recipe (reference, warmup, lr0.001)" >&2; exit 2 ;;
  esac
  for seed in $SEEDS; do
    run=ft_${recipe}_crop${CROP}_s$seed
    if [ ! -f "$run/results.json" ]; then
      "$B" finetune data_dir=data init= data.crop="$CROP" data.threads="$THREADS" epochs="$EPOCHS" \
        lr_steps="[$((EPOCHS * 2 / 3))]" log_interval=5 seed="$seed" "${args[@]}" quiet=true out="$run" >/dev/null
      "$B" test data_dir=data run="$run" data.threads="$THREADS" quiet=true >/dev/null
    fi
  done
done
/usr/bin/python3 - "$CLASSES" "$CROP" $RECIPES -- $SEEDS <<'EOF'
import json, math, sys
classes, crop = int(sys.argv[1]), sys.argv[2]
i = sys.argv.index("--")
recipes, seeds = sys.argv[3:i], sys.argv[i + 1:]
def wilson(k, n, z=1.96):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h
print(f"ln({classes}) = {math.log(classes):.3f}: a constant guess's loss")
print("| recipe | seed | train loss, epoch 1 -> last | max grad norm | test top-1 [95 % interval] |")
print("|---|---|---|---|---|")
for r in recipes:
    tops = []
    for s in seeds:
        run = f"ft_{r}_crop{crop}_s{s}"
        lines = [json.loads(l) for l in open(run + "/metrics.jsonl")]
        ep = [l for l in lines if l.get("event") == "epoch"]
        gns = [l["grad_norm"] for l in lines if l.get("event") == "train" and "grad_norm" in l]
        gn = f"{max(gns):.1f}" if gns else "-"
        res = json.load(open(run + "/results.json"))
        n = res["num_videos"]
        top1 = res["top1"]
        tops.append(top1)
        ci = ""
        if n:
            lo, hi = wilson(round(top1 * n), n)
            ci = f" [{100 * lo:.1f}, {100 * hi:.1f}]"
        print(f"| {r} | {s} | {ep[0]['loss']:.3f} -> {ep[-1]['loss']:.3f} | {gn} | {100 * top1:.1f} %{ci} |")
    m = sum(tops) / len(tops)
    sd = math.sqrt(sum((t - m) ** 2 for t in tops) / (len(tops) - 1)) if len(tops) > 1 else 0
    print(f"| {r} | mean of {len(tops)} | | | {100 * m:.1f} % (sd {100 * sd:.1f}) |")
EOF
