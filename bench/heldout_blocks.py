#!/usr/bin/python3
"""Is the pretext task being learned? The held-out CtP loss of a pre-training run against predicting zero motion,
by blocks of rounds, as a Markdown table (the form RESULTS.md uses):

    /usr/bin/python3 bench/heldout_blocks.py <run folder> [--block 10] [--below 0.05]

Per block: the CtP steps it covers (every client's iterations, from metrics.jsonl), the mean training loss, the
held-out loss minus predict-zero (mean, median and best round), the same for its centre part, and how many rounds
were more than --below under predict-zero. A resumed run logs a round again; its last record counts. Needs NumPy."""
import argparse
import json
import os

import numpy as np


def load(run):
    rounds, steps = {}, {}
    for line in open(os.path.join(run, "metrics.jsonl")):
        d = json.loads(line)
        if d.get("event") == "round":
            rounds[d["round"]] = d
        elif d.get("event") == "client_fit" and d.get("ok"):
            steps.setdefault(d["round"], {})[d["client"]] = d["iters"]
    return [(r, rounds[r], sum(steps.get(r, {}).values())) for r in sorted(rounds)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--block", type=int, default=10, help="rounds per row")
    ap.add_argument("--below", type=float, default=0.05, help="count the rounds more than this under predict-zero")
    a = ap.parse_args()
    rows = load(a.run)
    if not rows:
        raise SystemExit(f"{a.run}/metrics.jsonl: no completed round")
    if any(not np.isfinite(d.get("heldout_loss", np.nan)) for _, d, _ in rows):
        raise SystemExit(f"{a.run}: rounds without a held-out loss (the run had eval.batches=0)")
    zero = sorted({round(d["heldout_zero_loss"], 5) for _, d, _ in rows})
    print(f"predict-zero on the held-out clips: {', '.join(map(str, zero))}")
    print("| rounds | CtP steps | training loss (mean) | held-out - predict-zero: mean | median (best) "
          "| its centre part (median) | rounds more than %g below |" % a.below)
    print("|---|---|---|---|---|---|---|")
    done = 0
    for i in range(0, len(rows), a.block):
        blk = rows[i:i + a.block]
        diff = np.array([d["heldout_loss"] - d["heldout_zero_loss"] for _, d, _ in blk])
        ctr = np.array([d.get("heldout_ctr", np.nan) - d.get("heldout_zero_ctr", np.nan) for _, d, _ in blk])
        n = sum(s for _, _, s in blk)
        print(f"| {blk[0][0]}-{blk[-1][0]} | {done + 1}-{done + n} | {np.mean([d['loss'] for _, d, _ in blk]):.3f} "
              f"| {diff.mean():+.4f} | {np.median(diff):+.4f} ({diff.min():+.4f}) | {np.median(ctr):+.4f} "
              f"| {(diff < -a.below).sum()} of {len(blk)} |")
        done += n


if __name__ == "__main__":
    main()
