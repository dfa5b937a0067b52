#!/usr/bin/env python3
"""How far PyTorch's own float32 lands from a committed float64 multi-step golden on a device: the measurement
that decides whether fedvssl's error on the GPU (the 3-step TSN case's gradient norm was 0.23-0.28 % off on an
H200) is noise or a defect. Runs tools/make_goldens.py's model_multi (the same inputs, fedvssl's dropout masks,
3 SGD steps) in float32 on --device, plain and with 1e-6 jitter, and prints per run the relative error of every
step's loss and gradient norm against tests/golden/model_<kind>_steps3.npz, beside the golden's CPU float32 bar
(.torch32, PyTorch's own CPU noise) and the bar the tests hold fedvssl to (3x that). Usage (device machine):
  python3 tools/gpu_noise.py [--device cuda] [--kind tsn|ctp] [--runs 4] [--tf32]
On the CPU (--device cpu) it reproduces the golden's own bar, which checks the script."""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_goldens as mg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--kind", default="tsn", choices=["tsn", "ctp"])
    ap.add_argument("--runs", type=int, default=4, help="jittered runs besides the plain one")
    ap.add_argument("--tf32", action="store_true", help="let cuDNN and cuBLAS use TF32 (PyTorch's default for convs)")
    a = ap.parse_args()
    if a.device.startswith("cuda"):
        torch.backends.cudnn.allow_tf32 = a.tf32  # PyTorch's default is True: fp32 means fp32 here
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        print("device:", torch.cuda.get_device_name(), "cuDNN", torch.backends.cudnn.version(), "tf32" if a.tf32 else "fp32")
    g = np.load(os.path.join(mg.OUT, f"model_{a.kind}_steps3.npz"))
    want_l, want_n = g["losses"], g["grad_norms"]
    bar_l, bar_n = float(g["losses.torch32"]), float(g["grad_norms.torch32"])
    print(f"golden: losses {np.round(want_l, 6).tolist()}, gradient norms {np.round(want_n, 5).tolist()}")
    print(f"PyTorch CPU float32 bar: losses {bar_l:.2e}, gradient norms {bar_n:.2e} (fedvssl's test: 3x)")
    worst_l = worst_n = 0.0
    for j in range(a.runs + 1):
        r, _ = mg.model_multi(a.kind, 2, torch.float32, jitter=j, device=a.device)
        el = np.abs(np.array(r["losses"]) - want_l).max() / np.abs(want_l).max()
        en = np.abs(np.array(r["grad_norms"]) - want_n).max() / np.abs(want_n).max()
        worst_l, worst_n = max(worst_l, el), max(worst_n, en)
        print(f"run {j} ({'plain' if j == 0 else 'jitter'}): losses {np.round(r['losses'], 6).tolist()} error {el:.2e}; "
              f"gradient norms {np.round(r['grad_norms'], 5).tolist()} error {en:.2e}")
    print(f"{a.device}: PyTorch's worst error losses {worst_l:.2e} ({worst_l / bar_l:.1f}x the CPU bar), gradient norms "
          f"{worst_n:.2e} ({worst_n / bar_n:.1f}x the CPU bar)")


if __name__ == "__main__":
    main()
