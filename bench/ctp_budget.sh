#!/usr/bin/env bash
# Is the CtP pretext task learned, and at what budget does it help retrieval? Centralized CtP (one client, FedAvg:
# plain SGD with a fresh optimiser each epoch, as a client's round) on a synthetic UCF-style set with a fresh
# augmentation stream every epoch, ROUNDS epochs; every round the held-out CtP loss beside predicting zero motion
# (metrics.jsonl); the rounds kept (every KEEP-th) then retrieved (test videos query train videos) against a random
# backbone of the same seed, with paired bootstrap intervals (bench/retrieval_ci.py; bench/table4.py tables the
# strategies over seeds; bench/heldout_blocks.py tables the held-out loss by blocks of rounds). Usage:
#   bash bench/ctp_budget.sh [work dir]            (hours on 2 cores: run it in the background)
# Environment: ROUNDS, KEEP, CROP, CLASSES, VPC (videos per class), SEED, LR (learning rate), THREADS override the
# defaults below; CLIENTS>1 partitions the train split and pre-trains federated with STRATEGY: fedavg or
# fedvssl:<alpha>:<beta> (the paper's Table 4 grid: fedvssl:0.9:1, fedvssl:0:0, fedvssl:1:0). HEAD_INIT=fan_in
# draws the CtP head N(0, 1/fan_in) instead of the reference's N(0, 0.001^2) (model.head_init); PATCH=solid pastes
# one-colour patches instead of crops of the clip (data.patch: is the task learnable when the patch is plain?).
set -euo pipefail
B=${FEDVSSL:-$(cd "$(dirname "$0")/.." && pwd)/build/fedvssl}
CI=$(cd "$(dirname "$0")" && pwd)/retrieval_ci.py
W=${1:-/tmp/fedvssl_ctp_budget}
ROUNDS=${ROUNDS:-150} KEEP=${KEEP:-10} CROP=${CROP:-32} CLASSES=${CLASSES:-10} VPC=${VPC:-24} SEED=${SEED:-7}
LR=${LR:-0.01} THREADS=${THREADS:-0} CLIENTS=${CLIENTS:-1} STRATEGY=${STRATEGY:-fedavg} HEAD_INIT=${HEAD_INIT:-reference}
PATCH=${PATCH:-video}
mkdir -p "$W"
cd "$W"
if [ ! -d data/zips ]; then
  "$B" synth --out raw --classes "$CLASSES" --videos-per-class "$VPC" --frames 60 --size 160x120 --seed 11 >/dev/null
  "$B" prepare --dataset ucf101 --src raw --out data --quiet
fi
[ -d "data/annotations/c$CLIENTS" ] ||
  "$B" partition --json-path data/annotations --output-path "data/annotations/c$CLIENTS" --num-clients "$CLIENTS" >/dev/null
case $STRATEGY in
  fedavg) strat=(strategy.fedavg=true) ;;
  fedvssl:*:*) IFS=: read -r _ alpha beta <<< "$STRATEGY"; strat=(strategy.mix_coeff="$alpha" strategy.swbeta="$beta") ;;
  *) echo "STRATEGY: fedavg or fedvssl:<alpha>:<beta>, not $STRATEGY" >&2; exit 2 ;;
esac
run=pretrain_c${CLIENTS}_${STRATEGY//:/_}_lr${LR}_crop${CROP}_s$SEED
[ "$HEAD_INIT" = reference ] || run=${run}_$HEAD_INIT
[ "$PATCH" = video ] || run=${run}_patch$PATCH
"$B" pretrain data_dir=data partition_dir="annotations/c$CLIENTS" pool_size="$CLIENTS" strategy.min_fit_clients="$CLIENTS" \
  strategy.min_available_clients="$CLIENTS" "${strat[@]}" data.reseed_each_round=false rounds="$ROUNDS" optimizer.lr="$LR" \
  data.crop="$CROP" data.threads="$THREADS" eval.batches=10 checkpoint.keep_every="$KEEP" seed="$SEED" model.head_init="$HEAD_INIT" data.patch="$PATCH" out="$run" quiet=true
rnd=retr_random_crop${CROP}_s$SEED # the random-init baseline at this clip size and seed
[ -f $rnd/retrieval.json ] ||
  "$B" retrieve data_dir=data init= seed="$SEED" data.crop="$CROP" data.threads="$THREADS" out=$rnd quiet=true
feats=($rnd/features.npz)
for f in "$run"/fedvssl_results/round-*.npz; do
  r=$(basename "$f" .npz)
  [ -f "retr_${run}_$r/retrieval.json" ] ||
    "$B" retrieve data_dir=data init="$f" data.threads="$THREADS" out="retr_${run}_$r" quiet=true
  feats+=("retr_${run}_$r/features.npz")
done
/usr/bin/python3 "$(dirname "$CI")/heldout_blocks.py" "$run" # held-out loss against predict-zero, by blocks
/usr/bin/python3 "$CI" --probe "${feats[@]}"
