"""The fine-tuning control: does fedvssl's TSN fine-tuning follow PyTorch's over hundreds of steps?

fedvssl finetune with trace_dir=DIR writes DIR/start.npz (the state before the run's first step), batch-<s>.npz
(step s's clips and labels) and steps.jsonl (its loss, gradient norm, learning rate and dropout mask seed). This
script trains the PyTorch twin (tools/torch_models.py TSN) on exactly those batches from that state, as the
reference would: one SGD for the whole run (momentum carried across epochs), weight decay and the gradient clip
as given, each step's learning rate and dropout mask taken from the trace (so lr steps and warm-up follow). Twin
runs in float32, from weights and clips moved by a relative 1e-6 (the size of rounding differences between two
float32 programs), and in float64 measure PyTorch's own spread; a systematic difference of fedvssl from the twin
(a loss that falls more slowly, a training accuracy that stays behind) shows as a gap larger than that spread.

  fedvssl finetune ... trace_dir=DIR out=RUN     (trace a run from its first epoch)
  /usr/bin/python3 bench/finetune_control.py DIR [--runs fp32,jitter] [--final RUN/epoch_<e>.npz]

fp64 may be added to --runs, but on a CPU it is ~25x slower than float32 (3D convolutions in double).

--wd, --momentum and --clip must be the run's (the defaults are fine-tuning's). Needs PyTorch and NumPy.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "tools")]
import torch_models as tm  # noqa: E402
from ctp_control import jittered, load_into, load_npz, state_np, state_table  # noqa: E402


def twin(init, steps, trace, kind, hp):
    dtype = torch.float64 if kind == "fp64" else torch.float32
    rng = np.random.default_rng(1) if kind == "jitter" else None
    if rng is not None:
        init = {k: (v if k.endswith("num_batches_tracked") else jittered(v.astype(np.float64), rng)) for k, v in init.items()}
    model = tm.TSN(classes=init["cls_head.fc_cls.weight"].shape[0], dropout=0.0)
    model.st_module = torch.nn.AdaptiveAvgPool3d(1)  # the whole last map, as (2, 7, 7) is at 112x112 (any clip side)
    model.cls_head.dropout = tm.FixedMaskDropout(0.0)
    model = model.to(dtype).train()
    load_into(model, init, dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=hp.momentum, weight_decay=hp.wd)
    out = []
    for s in steps:
        b = load_npz(os.path.join(trace, f"batch-{s['iter']:05d}.npz"))
        imgs = b["imgs"].astype(np.float64)
        if rng is not None:
            imgs = jittered(imgs, rng)
        p = s.get("dropout", 0.0)
        model.cls_head.dropout.p = p
        model.cls_head.dropout.keep = torch.from_numpy(
            tm.fedvssl_dropout_keep(s["dropout_seed"], s["dropout_step"], imgs.shape[0] * 512, p))
        for g in opt.param_groups:
            g["lr"] = s["lr"]
        logits = model(torch.from_numpy(imgs).to(dtype))
        labels = torch.from_numpy(b["labels"])
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(list(model.parameters()), hp.clip if hp.clip > 0 else math.inf))
        opt.step()
        out.append({"loss": float(loss), "grad_norm": norm, "acc": float((logits.argmax(1) == labels).double().mean())})
    return out, state_np(model)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--clip", type=float, default=40)
    ap.add_argument("--runs", default="fp32,jitter")
    ap.add_argument("--block", type=int, default=40, help="steps per row of the table")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", help="write every curve here")
    ap.add_argument("--final", help="fedvssl's state after the last traced step (the run's epoch_<e>.npz) to compare")
    hp = ap.parse_args()
    if hp.threads:
        torch.set_num_threads(hp.threads)
    start = os.path.join(hp.trace, "start.npz")
    if not os.path.isfile(start):
        sys.exit(f"{hp.trace}: no start.npz (run fedvssl finetune with trace_dir={hp.trace} from its first epoch)")
    with open(os.path.join(hp.trace, "steps.jsonl")) as f:
        steps = [json.loads(line) for line in f]
    if [s["iter"] for s in steps] != list(range(1, len(steps) + 1)) or "labels" not in load_npz(
            os.path.join(hp.trace, "batch-00001.npz")):
        sys.exit(f"{hp.trace}: not one fine-tuning trace of steps 1..n (a fresh folder per traced run)")
    init = load_npz(start)
    ours = {m: np.array([s[m] for s in steps]) for m in ("loss", "grad_norm")}
    seq, finals = {"fedvssl": ours}, {}
    for kind in hp.runs.split(","):  # the tables after every twin run: a long one (fp64) can be stopped
        t0 = time.time()
        log, finals[kind] = twin(init, steps, hp.trace, kind, hp)
        seq[kind] = {m: np.array([x[m] for x in log]) for m in ("loss", "grad_norm", "acc")}
        print(f"twin {kind}: {time.time() - t0:.0f} s", file=sys.stderr)
        report(hp, steps, seq, finals)


def report(hp, steps, seq, finals):
    n, names = len(steps), list(seq)
    print(f"== fedvssl and the twin runs {', '.join(names[1:])}: {n} fine-tuning steps; mean per block of {hp.block}")
    for m in ("loss", "grad_norm"):
        print(f"\n{m}:")
        print("| steps | lr | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for s in range(0, n, hp.block):
            row = [f"{np.mean(seq[k][m][s:s + hp.block]):.5f}" for k in names]
            print(f"| {s + 1}-{min(n, s + hp.block)} | {steps[min(n, s + hp.block) - 1]['lr']:g} | " + " | ".join(row) + " |")
        print("| all | | " + " | ".join(f"{np.mean(seq[k][m]):.5f}" for k in names) + " |")
    ref = names[1]
    others = [k for k in names if k != ref]
    print(f"\nmean |difference| of the step loss to twin {ref}, per block (the twin's training accuracy beside):")
    print("| steps | " + " | ".join(others) + f" | {ref} accuracy |")
    print("|---|" + "---|" * (len(others) + 1))
    for s in range(0, n, hp.block):
        sl = slice(s, s + hp.block)
        row = [f"{np.mean(np.abs(seq[k]['loss'][sl] - seq[ref]['loss'][sl])):.5f}" for k in others]
        print(f"| {s + 1}-{min(n, s + hp.block)} | " + " | ".join(row) + f" | {np.mean(seq[ref]['acc'][sl]):.3f} |")
    if hp.final:  # the state after the last step: distance of the conv weights, the BN statistics' levels
        print(f"\nafter the last step (backbone conv weights; BN running statistics), to twin {ref}'s:")
        state_table([("fedvssl", load_npz(hp.final))] + list(finals.items()), finals[ref])
    sys.stdout.flush()
    if hp.json:
        with open(hp.json, "w") as f:
            json.dump({k: {m: v.tolist() for m, v in d.items()} for k, d in seq.items()}, f)


if __name__ == "__main__":
    main()
