#!/usr/bin/env bash
# The GPU checks of issue 5, as one script for the device machine (H100/H200, sm_90): build with the
# CUDA backend, run the CUDA op tests against the PyTorch goldens (fp32 1e-4, TF32 1e-2), then the
# CPU tests as a sanity check. Writes logs to $OUT when set.
set -u
out=${OUT:-/tmp/fedvssl-device}
mkdir -p "$out"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
  command -v nvcc && nvcc --version | tail -1
} > "$out/device.txt" 2>&1
( make deps && make -j"$(nproc)" CUDA=1 ) > "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
./build/tests/test_cuda > "$out/test_cuda.log" 2>&1; rc=$?
tail -20 "$out/test_cuda.log"
bash tests/run.sh build/tests > "$out/tests.log" 2>&1; tail -3 "$out/tests.log"
exit $rc
