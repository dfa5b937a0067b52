#!/usr/bin/env bash
# Does federated CtP pre-training help? On a synthetic UCF-style set: federated pre-training -> export ->
# fine-tune -> test, against fine-tuning from scratch with the same budget and seed; retrieval R@k of the
# pre-trained and of a random backbone. Prints a table for RESULTS.md. Usage:
#   bash bench/pretrain_vs_scratch.sh [work dir] [key=value ...]      (defaults below; ~30-60 min on 2 cores)
# Environment: ROUNDS, EPOCHS, CROP, CLASSES, VPC (videos per class) override the scale.
set -euo pipefail
B=${FEDVSSL:-$(cd "$(dirname "$0")/.." && pwd)/build/fedvssl}
W=${1:-/tmp/fedvssl_pvs}
ROUNDS=${ROUNDS:-10} EPOCHS=${EPOCHS:-15} CROP=${CROP:-56} CLASSES=${CLASSES:-6} VPC=${VPC:-12}
mkdir -p "$W"
cd "$W"
t() { local s=$(date +%s.%N); "$@"; echo "$(echo "$(date +%s.%N) - $s" | bc)" >>times.txt; }
: >times.txt
if [ ! -d data/zips ]; then
  "$B" synth --out raw --classes "$CLASSES" --videos-per-class "$VPC" --frames 60 --size 160x120 --seed 3 >/dev/null
  "$B" prepare --dataset ucf101 --src raw --out data >/dev/null
  "$B" partition --json-path data/annotations --output-path data/annotations/client_distribution --num-clients 2 >/dev/null
fi
common="data_dir=data data.crop=$CROP quiet=true"
echo "pretrain: 2 clients x $ROUNDS rounds (one local epoch each), crop $CROP"
t "$B" pretrain $common pool_size=2 rounds="$ROUNDS" strategy.min_fit_clients=2 strategy.min_available_clients=2 \
  log_interval=2 out=pretrain
"$B" export pretrain/fedvssl_results/round-"$ROUNDS".npz out=init.npz classes="$CLASSES" --quiet
ft="$common epochs=$EPOCHS lr_steps=[$((EPOCHS * 2 / 3))] log_interval=4"
for run in pretrained scratch; do
  init=""; [ $run = pretrained ] && init=init.npz
  echo "finetune ($run): $EPOCHS epochs"
  t "$B" finetune $ft init="$init" out=ft_$run
  t "$B" test $common run=ft_$run
  t "$B" retrieve $common init="$init" out=ret_$run
done
num() { grep -o "\"$2\": [0-9.eE+-]*" "$1" | head -1 | awk '{printf "%.1f %%", 100 * $2}'; }
printf '\n| init | top-1 | top-5 | mean class acc | R@1 | R@5 | R@10 | final fine-tune loss |\n|---|---|---|---|---|---|---|---|\n'
for run in pretrained scratch; do
  r=ft_$run/results.json q=ret_$run/retrieval.json
  loss=$(grep '"event": "epoch"' ft_$run/metrics.jsonl | tail -1 | grep -o '"loss": [0-9.]*' | awk '{print $2}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' $run "$(num $r top1)" "$(num $r top5)" \
    "$(num $r mean_class_accuracy)" "$(num $q R@1)" "$(num $q R@5)" "$(num $q R@10)" "$loss"
done
echo "stage seconds (pretrain, finetune/test/retrieve pretrained, the same scratch):" $(cat times.txt)
