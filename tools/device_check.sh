#!/usr/bin/env bash
# The GPU checks of issue 5, as one script for the device machine (H100/H200, sm_90):
#  1. build with the CUDA backend;
#  2. op tests on the GPU against the PyTorch goldens (fp32 1e-4, TF32 1e-2) and both models through
#     `fedvssl grad --device cuda` with the CPU's tolerances;
#  3. side by side with PyTorch + cuDNN on the same GPU: CtP and TSN training steps, 10-clip
#     inference, and a client-epoch (477 steps of batch 4 = 1,907 clips), fp32 and tf32.
# Logs go to $OUT (the device tool brings them back).
set -u
out=${OUT:-/tmp/fedvssl-device}
mkdir -p "$out"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nvcc --version | tail -1; nproc; } \
  > "$out/device.txt" 2>&1
( make deps && make -j"$(nproc)" CUDA=1 ) > "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
./build/tests/test_cuda > "$out/test_cuda.log" 2>&1; echo "test_cuda rc $?"; tail -4 "$out/test_cuda.log"
./build/tests/test_model > "$out/test_model.log" 2>&1; echo "test_model rc $?"; tail -7 "$out/test_model.log"
for p in fp32 tf32; do
  ./build/fedvssl bench --device cuda --precision $p --steps 20 --warmup 3
  ./build/fedvssl bench --device cuda --precision $p --model ctp --steps 477 --warmup 3 | grep CtP
  python3 bench/bench_torch.py --device cuda --precision $p --steps 20 --warmup 3
  python3 bench/bench_torch.py --device cuda --precision $p --model ctp --steps 477 --warmup 3 | grep -i ctp
done 2>&1 | tee "$out/bench.log"
