#!/usr/bin/env bash
# The pre-training study at full clip size (16x112x112) for one GPU run (H100/H200, about 8 minutes): does the
# CtP pretext task get learned, and do centralized CtP, FedAvg and FedVSSL (alpha, beta) in {(0.9, 1), (0, 0),
# (1, 0)} (the paper's Table 4) give features better than random init, on the same budget of CtP steps? A sixth
# configuration, centralized with one-colour patches (data.patch=solid), is the positive control: whether the
# network learns to follow a patch it can plainly see at this budget.
# The device machine has no FFmpeg and installs nothing, so the data is made here and carried with the build:
#   here:   bash tools/device_check.sh build && bash bench/gpu_study.sh data      -> gpu-data/ (~30 MB)
#   device: carry ["build-device", "gpu-data"], command "bash bench/gpu_study.sh run"   (logs and tables in $OUT)
# Environment: STEPS (CtP steps per configuration, default 3000: ~1 min each at TF32's 17 ms a step),
# PRECISION (tf32), SEEDS (the seeds of every configuration, default "7"), PARALLEL (parallel_clients of the
# 3-client runs, default 3: their clients on 3 streams). First it times 3 rounds of the 3 clients in turn and side
# by side (parallel_clients=1 and 3) and says whether their checkpoints are the same bytes.
set -u
B=build-device/fedvssl
D=gpu-data
case "${1:-}" in
data)
  F=${FEDVSSL:-build/fedvssl}
  rm -rf $D.tmp && mkdir -p $D.tmp || exit 1
  "$F" synth --out $D.tmp/raw --classes 10 --videos-per-class 12 --frames 40 --size 160x120 --seed 11 >/dev/null || exit 1
  "$F" prepare --dataset ucf101 --src $D.tmp/raw --out $D.tmp/data --quiet || exit 1
  for c in 1 3; do
    "$F" partition --json-path $D.tmp/data/annotations --output-path $D.tmp/data/annotations/c$c --num-clients $c >/dev/null || exit 1
  done
  rm -rf $D && mv $D.tmp/data $D && rm -rf $D.tmp
  du -sh $D
  ;;
run)
  out=${OUT:-/tmp/fedvssl-gpu-study}
  mkdir -p "$out"
  nv=$(python3 -c 'import os, nvidia; print(":".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in ("cudnn", "cublas", "cuda_runtime")))' 2>/dev/null)
  export LD_LIBRARY_PATH="$PWD/build-device/lib:$nv:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
  STEPS=${STEPS:-3000} PRECISION=${PRECISION:-tf32} SEEDS=${SEEDS:-7}
  common=(data_dir=$D data.crop=112 data.reseed_each_round=false device=cuda precision=$PRECISION eval.batches=10
          checkpoint.keep_last=1 checkpoint.keep_every=0 quiet=true)
  # steps per round: one epoch of the train split (c1), or of each of 3 clients' thirds (c3)
  per_round=$(python3 -c "import json; print(max(1, len(json.load(open('$D/annotations/train_split_1.json'))) // 4))")
  rounds=$(( (STEPS + per_round - 1) / per_round ))
  echo "$STEPS CtP steps per configuration: $rounds rounds of ~$per_round steps, $PRECISION" | tee "$out/study.txt"
  for p in 1 3; do
    t0=$(date +%s.%N)
    $B pretrain "${common[@]}" partition_dir=annotations/c3 pool_size=3 strategy.min_fit_clients=3 \
      strategy.min_available_clients=3 rounds=3 eval.batches=0 parallel_clients=$p out="$out/side_p$p" > "$out/side_p$p.log" 2>&1 ||
      { echo "parallel_clients=$p: failed"; tail -3 "$out/side_p$p.log"; }
    echo "3 clients x 3 rounds, parallel_clients=$p: $(python3 -c "import time; print('%.1f' % (time.time() - $t0))") s" | tee -a "$out/study.txt"
  done
  cmp -s "$out/side_p1/fedvssl_results/round-3.npz" "$out/side_p3/fedvssl_results/round-3.npz" &&
    echo "round 3: the same bytes in turn and side by side" | tee -a "$out/study.txt" ||
    echo "round 3: in turn and side by side differ" | tee -a "$out/study.txt"
  PARALLEL=${PARALLEL:-3}
  for seed in $SEEDS; do
    [ -f "$out/random_s$seed/retrieval.json" ] ||
      $B retrieve data_dir=$D init= seed=$seed data.crop=112 device=cuda precision=$PRECISION quiet=true out="$out/random_s$seed"
    for cfg in central:1:strategy.fedavg=true "central_solid:1:strategy.fedavg=true data.patch=solid" fedavg:3:strategy.fedavg=true "fedvssl_0.9_1:3:strategy.mix_coeff=0.9 strategy.swbeta=1" \
               "fedvssl_0_0:3:strategy.mix_coeff=0 strategy.swbeta=0" "fedvssl_1_0:3:strategy.mix_coeff=1 strategy.swbeta=0"; do
      name=${cfg%%:*} rest=${cfg#*:}; k=${rest%%:*} strat=${rest#*:}
      run="$out/${name}_s$seed"
      t0=$(date +%s)
      # shellcheck disable=SC2086
      $B pretrain "${common[@]}" partition_dir=annotations/c$k pool_size=$k strategy.min_fit_clients=$k \
        strategy.min_available_clients=$k $strat rounds=$rounds seed=$seed parallel_clients=$(( k < PARALLEL ? k : PARALLEL )) out="$run" > "$run.log" 2>&1 || { echo "$name: failed"; tail -3 "$run.log"; continue; }
      last=$(ls "$run"/fedvssl_results/round-*.npz | sort -V | tail -1)
      $B retrieve data_dir=$D init="$last" device=cuda precision=$PRECISION quiet=true out="$run.retrieve" >/dev/null 2>&1
      python3 - "$run" "$name" "$seed" "$(( $(date +%s) - t0 ))" <<'EOF' | tee -a "$out/study.txt"
import json, sys
run, name, seed, secs = sys.argv[1:]
rounds = [json.loads(l) for l in open(run + "/metrics.jsonl") if '"event": "round"' in l]
first, last = rounds[: max(1, len(rounds) // 10)], rounds[-max(1, len(rounds) // 10):]
mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)
r1 = json.load(open(run + ".retrieve/retrieval.json"))["R@1"]
print(f"{name:14s} seed {seed}: held-out - predict-zero, first/last tenth of rounds "
      f"{mean(first, 'heldout_loss') - mean(first, 'heldout_zero_loss'):+.4f} / "
      f"{mean(last, 'heldout_loss') - mean(last, 'heldout_zero_loss'):+.4f}; training loss "
      f"{mean(first, 'loss'):.3f} -> {mean(last, 'loss'):.3f}; R@1 {100 * r1:.1f} %; {secs} s")
EOF
    done
    python3 -c "import json; print('random init    seed $seed: R@1 %.1f %%' % (100 * json.load(open('$out/random_s$seed/retrieval.json'))['R@1']))" | tee -a "$out/study.txt"
  done
  # R@k and linear probe with paired bootstrap intervals against the random backbone
  for seed in $SEEDS; do
    python3 bench/retrieval_ci.py --probe "$out/random_s$seed/features.npz" "$out"/*_s"$seed".retrieve/features.npz 2>&1 | tee -a "$out/study.txt"
  done
  ;;
*) echo "usage: bash bench/gpu_study.sh data|run" >&2; exit 2 ;;
esac
