#!/usr/bin/python3
"""Do the features get better as the pretext task is learned? For the kept rounds of one run per seed (retrieved
with `fedvssl retrieve` into <work dir>/retr_<run>_round-<r>, as bench/table4.py expects them), the held-out CtP
loss's distance below predicting zero (median of the last 10 rounds) next to R@1 and the linear probe minus a
random backbone of the same seed; then the trend over CtP steps:

- the slope of R@1 - random (and probe - random) per 1,000 steps, fitted per seed by least squares over its kept
  rounds and averaged over seeds, with a two-level bootstrap interval (seeds, then the test videos, resampled
  together across a seed's rounds, since every round answers the same queries);
- Spearman's rank correlation, over every seed's kept rounds, between the held-out gain and R@1 - random, with a
  permutation p-value (optimistic: rounds of one run are not independent).

    /usr/bin/python3 bench/feature_trend.py <work dir> [--seeds 7 3] [--suffix _patchsolid] [--from-round 100]

Needs NumPy."""
import argparse
import glob
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heldout_blocks import load  # noqa: E402
from retrieval_ci import hits  # noqa: E402
from table4 import heldout  # noqa: E402


def ranks(x):
    return np.argsort(np.argsort(x)).astype(np.float64)


def spearman(x, y):
    return np.corrcoef(ranks(x), ranks(y))[0, 1]


def slope(steps, d):
    """Least-squares slope of the per-round means d.mean(axis=1) over steps, per 1,000 steps."""
    return np.polyfit(np.asarray(steps) / 1000.0, d.mean(axis=1), 1)[0]


def resample_queries(d, rng):
    """d [rounds x queries] with the queries drawn with replacement, the same draw for every round."""
    return d[:, rng.integers(0, d.shape[1], d.shape[1])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 3])
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--lr", default="0.01")
    ap.add_argument("--run", default="c1_fedavg", help="strategy part of the run name (table4.py's keys)")
    ap.add_argument("--suffix", default="_patchsolid")
    ap.add_argument("--from-round", type=int, default=1, help="only kept rounds from this one on")
    ap.add_argument("--draws", type=int, default=2000)
    a = ap.parse_args()
    W = a.work
    per_seed = []  # (seed, steps, held-out gains, R@1 diffs [rounds x queries], probe diffs)
    print("| seed | round | CtP steps | held-out - predict-zero | R@1 | R@1 - random | probe - random |")
    print("|---|---|---|---|---|---|---|")
    for s in a.seeds:
        name = f"pretrain_{a.run}_lr{a.lr}_crop{a.crop}_s{s}{a.suffix}"
        run, rnd = os.path.join(W, name), os.path.join(W, f"retr_random_crop{a.crop}_s{s}", "features.npz")
        if not (os.path.isfile(os.path.join(run, "metrics.jsonl")) and os.path.isfile(rnd)):
            sys.exit(f"seed {s}: needs {run}/metrics.jsonl and {rnd}")
        rand = hits(rnd, [1], True)[0]
        rows = load(run)
        at = dict(zip([r for r, _, _ in rows], np.cumsum([n for _, _, n in rows]).tolist()))
        kept = sorted(int(m.group(1)) for f in glob.glob(os.path.join(W, f"retr_{name}_round-*", "features.npz"))
                      for m in [re.search(r"_round-(\d+)/features\.npz$", f)] if m)
        kept = [r for r in kept if r >= a.from_round and r in at]
        if len(kept) < 2:
            sys.exit(f"seed {s}: fewer than 2 retrieved rounds from round {a.from_round} on")
        steps, gain, d1, dp = [], [], [], []
        for r in kept:
            h = hits(os.path.join(W, f"retr_{name}_round-{r}", "features.npz"), [1], True)[0]
            steps.append(at[r])
            gain.append(-heldout(rows, r)[0])
            d1.append(h["R@1"] - rand["R@1"])
            dp.append(h["probe top-1"] - rand["probe top-1"])
            print(f"| {s} | {r} | {at[r]} | {-gain[-1]:+.3f} | {100 * h['R@1'].mean():.1f} | {100 * d1[-1].mean():+.1f} "
                  f"| {100 * dp[-1].mean():+.1f} |")
        per_seed.append((s, steps, np.array(gain), np.array(d1), np.array(dp)))
    rng = np.random.default_rng(1)
    print()
    for label, idx in (("R@1 - random", 3), ("probe - random", 4)):
        est = np.mean([slope(p[1], p[idx]) for p in per_seed])
        draws = np.empty(a.draws)
        for i in range(a.draws):
            pick = rng.integers(0, len(per_seed), len(per_seed))
            draws[i] = np.mean([slope(per_seed[j][1], resample_queries(per_seed[j][idx], rng)) for j in pick])
        print(f"{label}: {100 * est:+.2f} points per 1,000 CtP steps [95 %: {100 * np.percentile(draws, 2.5):+.2f}, "
              f"{100 * np.percentile(draws, 97.5):+.2f}] (seeds {', '.join(str(p[0]) for p in per_seed)})")
    g = np.concatenate([p[2] for p in per_seed])
    r1 = np.concatenate([p[3].mean(axis=1) for p in per_seed])
    rho = spearman(g, r1)
    perm = np.array([spearman(g, rng.permutation(r1)) for _ in range(a.draws)])
    print(f"Spearman(held-out gain, R@1 - random) over {len(g)} kept rounds: {rho:+.2f} "
          f"(permutation p {np.mean(np.abs(perm) >= abs(rho)):.2f}, two-sided)")


if __name__ == "__main__":
    main()
