#!/usr/bin/python3
"""Fine-tuned top-1 from scratch against from a pre-trained backbone, over several seeds, with intervals. Each
argument is one seed's pair of `fedvssl finetune` run folders, SCRATCH:PRETRAINED, both tested (`fedvssl test
run=<folder>` writes test_scores.npz) and fine-tuned with the same seed and recipe, so they see the same batches
and differ only in their starting weights. Per pair: both top-1s with 95 % intervals (bootstrap over the test
videos) and their paired difference; over all pairs: the mean difference with a two-level bootstrap interval
(pairs drawn with replacement, then the test videos within each, resampled together for both runs of a pair).

    /usr/bin/python3 bench/finetune_ci.py W/ft_s3_scratch:W/ft_s3_pre W/ft_s7_scratch:W/ft_s7_pre [--top 1 5]

Needs NumPy."""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from table4 import boot  # noqa: E402


def scores(run):
    f = os.path.join(run, "test_scores.npz")
    if not os.path.isfile(f):
        sys.exit(f"{run}: no test_scores.npz (run `fedvssl test run={run}` first)")
    z = np.load(f)
    return z["scores"], z["labels"]


def correct(sl, k):
    """Per test video 0/1: is the label among the top-k scores?"""
    sc, lab = sl
    return (np.argsort(-sc, axis=1)[:, :k] == lab[:, None]).any(axis=1).astype(np.float64)


def interval(v, rng, draws):
    m = v[rng.integers(0, len(v), (draws, len(v)))].mean(axis=1)
    return np.percentile(m, 2.5), np.percentile(m, 97.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs", nargs="+", metavar="SCRATCH:PRETRAINED")
    ap.add_argument("--top", type=int, nargs="+", default=[1])
    ap.add_argument("--draws", type=int, default=4000)
    a = ap.parse_args()
    runs = []
    for p in a.pairs:
        if p.count(":") != 1:
            sys.exit(f"{p}: expected SCRATCH:PRETRAINED")
        s, t = p.split(":")
        runs.append((s, t, scores(s), scores(t)))
        if not np.array_equal(runs[-1][2][1], runs[-1][3][1]):
            sys.exit(f"{s} and {t} were tested on different videos")
    for k in a.top:
        print(f"| pair (top-{k}) | scratch [95 %] | pre-trained [95 %] | pre-trained - scratch [95 %], paired |")
        print("|---|---|---|---|")
        diffs = []
        for s, t, ss, st in runs:
            cs, ct = correct(ss, k), correct(st, k)
            d = ct - cs
            diffs.append(d)
            rng = np.random.default_rng(1)
            cells = [f"{100 * v.mean():.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
                     for v in (cs, ct) for lo, hi in [interval(v, rng, a.draws)]]
            lo, hi = interval(d, rng, a.draws)
            print(f"| {os.path.basename(s.rstrip('/'))} : {os.path.basename(t.rstrip('/'))} | {cells[0]} | {cells[1]} | "
                  f"{100 * d.mean():+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] |")
        if len(diffs) > 1:
            m, lo, hi = boot(diffs, np.random.default_rng(2), a.draws)
            print(f"| mean over {len(diffs)} pairs | | | {100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] |")
        print()


if __name__ == "__main__":
    main()
