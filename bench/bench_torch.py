#!/usr/bin/env python3
"""PyTorch side of `fedvssl bench`: the same CtP and TSN training steps (forward, loss, backward,
clip 40, SGD) and the same 10-clip inference, on random data, with the same FLOP counting.
Needs Debian python3-torch + python3-torchvision (installed by hand; CI never runs this).

  /usr/bin/python3 bench/bench_torch.py [--threads 2] [--batch 4] [--steps 3] [--model all]
  PyTorch's best on a GPU: --device cuda --precision bf16 --channels-last --compile (bf16 autocast, channels_last_3d,
  cudnn.benchmark, torch.compile where the installed PyTorch has it)."""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import torch_models as tm  # noqa: E402

MACS_PRETRAIN = 48.02e9 + 0.12e9  # per clip: backbone (pretrain layout) + CtP head with 3 RoIs (spec §1.7)
MACS_FINETUNE = 40.70e9


DEVICE = "cpu"
AUTOCAST = None  # torch.bfloat16 with --precision bf16
CHANNELS_LAST = False
COMPILE = False


def sync():
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def prepare(model):
    model = model.to(DEVICE)
    if CHANNELS_LAST:
        model = model.to(memory_format=torch.channels_last_3d)
    return model


def run(model):
    """The module to call: compiled when asked and available (PyTorch 2)."""
    return torch.compile(model) if COMPILE and hasattr(torch, "compile") else model


def autocast():
    dev = "cuda" if DEVICE.startswith("cuda") else "cpu"
    return torch.autocast(dev, dtype=AUTOCAST, enabled=AUTOCAST is not None)


def batch(kind, B):
    imgs = torch.rand(B, 3, 16, 112, 112) * 2 - 1
    if CHANNELS_LAST:
        imgs = imgs.contiguous(memory_format=torch.channels_last_3d)
    if kind == "ctp":
        x = 10 + 60 * torch.rand(B, 3, 16, 1)
        y = 10 + 60 * torch.rand(B, 3, 16, 1)
        return imgs.to(DEVICE), torch.cat([x, y, x + 32, y + 24], -1).to(DEVICE)
    return imgs.to(DEVICE), (torch.arange(B) % 101).to(DEVICE)


def train(kind, B, steps, warmup):
    model = prepare(tm.CtP() if kind == "ctp" else tm.TSN()).train()
    fwd = run(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4 if kind == "ctp" else 5e-4)
    imgs, tgt = batch(kind, B)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        with autocast():  # the losses in fp32, as autocast keeps them
            if kind == "ctp":
                _, lc, ls = fwd(imgs, tgt)
                loss = lc.float() + ls.float()
            else:
                loss = F.cross_entropy(fwd(imgs).float(), tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 40)
        opt.step()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    s = sum(times) / len(times)
    flop = 3 * 2 * (MACS_PRETRAIN if kind == "ctp" else MACS_FINETUNE) * B
    print(f"PyTorch {kind.upper()} training step, batch {B}: {s:.3f} s/step (best {min(times):.3f}), "
          f"{B / s:.2f} clips/s, {flop / s / 1e9:.1f} GFLOP/s, loss {float(loss):.3f}")


def infer(clips, reps):
    model = run(prepare(tm.TSN()).eval())
    imgs, _ = batch("tsn", clips)
    with torch.no_grad(), autocast():
        model(imgs)
        sync()
        t0 = time.perf_counter()
        for _ in range(reps):
            model(imgs)
        sync()
    s = (time.perf_counter() - t0) / reps
    print(f"PyTorch TSN inference, {clips} clips: {s:.3f} s, {clips / s:.2f} clips/s, "
          f"{2 * MACS_FINETUNE * clips / s / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--clips", type=int, default=10)
    ap.add_argument("--model", default="all", choices=["ctp", "tsn", "infer", "all"])
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuDNN, benchmark mode)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                    help="bf16: autocast (bf16 convolutions, fp32 weights, losses and SGD)")
    ap.add_argument("--channels-last", action="store_true", help="channels_last_3d tensors (NDHWC)")
    ap.add_argument("--compile", action="store_true", help="torch.compile (PyTorch 2)")
    a = ap.parse_args()
    DEVICE = a.device
    AUTOCAST = torch.bfloat16 if a.precision == "bf16" else None
    CHANNELS_LAST, COMPILE = a.channels_last, a.compile
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = a.precision == "tf32"
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    where = torch.cuda.get_device_name() if DEVICE.startswith("cuda") else f"{torch.get_num_threads()} threads"
    extra = (" channels_last_3d" if CHANNELS_LAST else "") + (" torch.compile" if COMPILE and hasattr(torch, "compile") else "")
    print(f"PyTorch {torch.__version__}, {DEVICE} ({where}), {a.precision}{extra}")
    if a.model in ("ctp", "all"):
        train("ctp", a.batch, a.steps, a.warmup)
    if a.model in ("tsn", "all"):
        train("tsn", a.batch, a.steps, a.warmup)
    if a.model in ("infer", "all"):
        infer(a.clips, a.steps)
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    if DEVICE.startswith("cuda"):
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
