#!/usr/bin/env bash
# The GPU checks of issue 5, for the device machine (H100/H200). That machine cannot install Debian
# packages, so the program is built HERE and carried:
#   here:   bash tools/device_check.sh build     -> build-device/ (binaries + libdnnl, libjpeg, libgomp)
#   device: run with carry ["build-device"] and command "bash tools/device_check.sh run"
# "run": CUDA op tests against the PyTorch goldens (fp32 1e-4, TF32 1e-2), both models through
# `fedvssl grad --device cuda` with the CPU's tolerances (bf16: against PyTorch's bf16 error), PyTorch's own
# float32 error on the GPU for the same multi-step cases (tools/gpu_noise.py), then side by side
# with PyTorch + cuDNN on the same GPU (training steps, 10-clip inference, a 477-step client-epoch; fp32, tf32 and
# bf16: ours against PyTorch's autocast, also channels_last_3d). Logs in $OUT.
set -u
B=build-device
case "${1:-}" in
build)
  make -j"$(nproc)" CUDA=1 VIDEO=0 BUILD=$B all || exit 1
  mkdir -p $B/lib
  for l in libdnnl.so.2 libOpenCL.so.1 libjpeg.so.62 libgomp.so.1; do
    cp -L "$(ldconfig -p | awk -v l=$l '$1 == l {print $NF; exit}')" $B/lib/ || exit 1
  done
  rm -rf $B/src $B/libfedvssl.a $B/tests/*.o $B/tests/*.d
  du -sh $B
  ;;
run)
  out=${OUT:-/tmp/fedvssl-device}
  mkdir -p "$out"
  # cuDNN / cuBLAS / CUDA runtime from the machine's Python packages, the rest carried
  nv=$(python3 -c 'import os, nvidia; print(":".join(os.path.join(p, d, "lib") for p in nvidia.__path__ for d in ("cudnn", "cublas", "cuda_runtime")))' 2>/dev/null)
  export LD_LIBRARY_PATH="$PWD/$B/lib:$nv:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
  { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; ldd $B/fedvssl | grep -E "cudnn|cublas|cudart|dnnl|not found"; } > "$out/device.txt" 2>&1
  cat "$out/device.txt"
  $B/tests/test_cuda > "$out/test_cuda.log" 2>&1; echo "test_cuda rc $?"; tail -4 "$out/test_cuda.log"
  $B/tests/test_model > "$out/test_model.log" 2>&1; echo "test_model rc $?"; tail -7 "$out/test_model.log"
  # PyTorch's own float32 error on the GPU for the multi-step goldens: the yardstick of test_model's GPU tolerances
  for k in tsn ctp; do python3 tools/gpu_noise.py --device cuda --kind $k --runs 4; done 2>&1 | tee "$out/gpu_noise.log" | grep -E "^cuda|^device"
  for p in fp32 tf32 bf16; do
    $B/fedvssl bench --device cuda --precision $p --steps 20 --warmup 3
    $B/fedvssl bench --device cuda --precision $p --model ctp --steps 477 --warmup 3 | grep CtP
    python3 bench/bench_torch.py --device cuda --precision $p --steps 20 --warmup 3
    python3 bench/bench_torch.py --device cuda --precision $p --model ctp --steps 477 --warmup 3 | grep -i ctp
  done 2>&1 | tee "$out/bench.log"
  python3 bench/bench_torch.py --device cuda --precision bf16 --channels-last --steps 20 --warmup 3 2>&1 | tee -a "$out/bench.log"
  # where a step's device time goes, by op kind (CUDA events), and how long the device waits for the host
  for p in tf32 bf16; do $B/fedvssl bench --device cuda --precision $p --model ctp --steps 20 --warmup 3 --profile; done 2>&1 | tee "$out/profile.log"
  ;;
*) echo "usage: bash tools/device_check.sh build|run" >&2; exit 2 ;;
esac
