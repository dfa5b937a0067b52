#!/usr/bin/python3
"""The paper's Table-4 comparison over several seeds, from the run folders bench/ctp_budget.sh leaves in its work
folder: for each strategy (FedAvg, FedVSSL (alpha, beta) in {(0.9, 1), (0, 0), (1, 0)}, centralized) and seed,
the held-out CtP loss minus predicting zero motion over the 10 rounds up to a kept round, and R@1 and the linear
probe of that round against a random backbone of the *same* seed. Across seeds, the mean difference to random init
gets a 95 % interval from a two-level bootstrap (seeds drawn with replacement, then the test videos within each), so
the spread between initialisations counts, not only the spread between queries.

    /usr/bin/python3 bench/table4.py <work dir> [--seeds 7 2 3] [--crop 32] [--round 10] [--suffix _patchsolid]

--suffix picks runs made with a variant (ctp_budget.sh appends _<head init> and _patch<kind> to the run name), e.g.
the solid-patch control (PATCH=solid) at --round 100.

A random backbone of seed s is <work dir>/retr_random_crop<crop>_s<s>/features.npz (ctp_budget.sh makes it).
Needs NumPy."""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heldout_blocks import load  # noqa: E402
from retrieval_ci import hits  # noqa: E402

STRATEGIES = [("FedAvg", "c3_fedavg"), ("FedVSSL (0.9, 1)", "c3_fedvssl_0.9_1"), ("FedVSSL (0, 0)", "c3_fedvssl_0_0"),
              ("FedVSSL (1, 0)", "c3_fedvssl_1_0"), ("centralized", "c1_fedavg")]


def heldout(rows, upto):
    """Median and best of held-out minus predict-zero over the last 10 rounds up to round `upto`; rows: a run's
    heldout_blocks.load()."""
    diff = np.array([d["heldout_loss"] - d["heldout_zero_loss"] for r, d, _ in rows if r <= upto][-10:])
    return np.median(diff), diff.min()


def boot(per_seed, rng, draws):
    """per_seed: list of per-query difference vectors (pre-trained minus random, one per seed). Mean over seeds
    and its two-level bootstrap interval (with one seed, the spread between queries alone)."""
    est = np.mean([v.mean() for v in per_seed])
    out = np.empty(draws)
    for i in range(draws):
        pick = rng.integers(0, len(per_seed), len(per_seed))
        out[i] = np.mean([per_seed[s][rng.integers(0, len(per_seed[s]), len(per_seed[s]))].mean() for s in pick])
    return est, np.percentile(out, 2.5), np.percentile(out, 97.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 2, 3])
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--round", type=int, default=10)
    ap.add_argument("--lr", default="0.01")
    ap.add_argument("--suffix", default="", help="run-name suffix of a variant, e.g. _patchsolid")
    ap.add_argument("--draws", type=int, default=4000)
    a = ap.parse_args()
    W = a.work
    rand = {}
    for s in a.seeds:
        f = os.path.join(W, f"retr_random_crop{a.crop}_s{s}", "features.npz")
        if os.path.isfile(f):
            rand[s] = hits(f, [1], True)[0]
        else:
            print(f"(no random backbone of seed {s}: {f})")
    print("| strategy | seeds | held-out - predict-zero per seed: median of the last 10 rounds (best) | R@1 per seed "
          "| R@1 - random, mean [95 %] | probe per seed | probe - random, mean [95 %] |")
    print("|---|---|---|---|---|---|---|")
    missing = []
    for label, key in STRATEGIES:
        seeds, held, r1, pr, d1, dp = [], [], [], [], [], []
        for s in a.seeds:
            name = f"pretrain_{key}_lr{a.lr}_crop{a.crop}_s{s}{a.suffix}"
            run = os.path.join(W, name)
            feats = os.path.join(W, f"retr_{name}_round-{a.round}", "features.npz")
            if not (os.path.isfile(feats) and os.path.isfile(os.path.join(run, "metrics.jsonl")) and s in rand):
                continue
            med, best = heldout(load(run), a.round)
            h = hits(feats, [1], True)[0]
            seeds.append(s)
            held.append(f"{med:+.4f} ({best:+.4f})")
            r1.append(f"{100 * h['R@1'].mean():.1f}")
            pr.append(f"{100 * h['probe top-1'].mean():.1f}")
            d1.append(h["R@1"] - rand[s]["R@1"])
            dp.append(h["probe top-1"] - rand[s]["probe top-1"])
        if not seeds:
            missing.append(label)
            continue
        m1, l1, h1 = boot(d1, np.random.default_rng(1), a.draws)  # the same draws for every strategy
        mp, lp, hp = boot(dp, np.random.default_rng(2), a.draws)
        print(f"| {label} | {' / '.join(map(str, seeds))} | {' / '.join(held)} | {' / '.join(r1)} | "
              f"{100 * m1:+.1f} [{100 * l1:+.1f}, {100 * h1:+.1f}] | {' / '.join(pr)} | "
              f"{100 * mp:+.1f} [{100 * lp:+.1f}, {100 * hp:+.1f}] |")
    if rand:
        r1 = " / ".join("%.1f" % (100 * rand[s]["R@1"].mean()) for s in rand)
        pr = " / ".join("%.1f" % (100 * rand[s]["probe top-1"].mean()) for s in rand)
        print(f"| random init | {' / '.join(map(str, rand))} | | {r1} | | {pr} | |")
    if missing:
        print(f"(not run at round {a.round}{' with suffix ' + a.suffix if a.suffix else ''}: {', '.join(missing)})")


if __name__ == "__main__":
    main()
