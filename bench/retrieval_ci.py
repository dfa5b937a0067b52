#!/usr/bin/python3
"""Retrieval R@k with bootstrap confidence intervals over the query videos, from the features.npz files that
`fedvssl retrieve` writes; with two or more, the paired difference of each against the first (same queries,
same gallery), so "pre-training beats random init" gets an interval, not a point. --probe adds the standard
SSL measure beside retrieval: a linear probe (multinomial logistic regression on the frozen, standardised train
features, its L2 weight by 3-fold cross-validation on them; full-batch gradient descent, deterministic) scored as top-1 on the test videos, with the same
paired intervals.

    /usr/bin/python3 bench/retrieval_ci.py retr/random/features.npz retr/round-40/features.npz [--k 1 5 10] [--probe]

Prints one line per file: R@k with its 95 % interval, and the difference to the first file with its interval
and the fraction of bootstrap draws where it is > 0. Needs NumPy (Debian python3-numpy)."""
import argparse

import numpy as np


def probe(g, gl, q, ql, steps=1000, lr=0.5):
    """Per-query 0/1: does a linear classifier trained on the gallery features predict the query's class? The
    L2 weight is chosen by 3-fold cross-validation on the gallery alone."""
    folds = np.arange(len(gl)) % 3
    best = max((np.mean([np.mean(fit_predict(g[folds != f], gl[folds != f], g[folds == f], l2, steps, lr) == gl[folds == f])
                         for f in range(3)]), -l2) for l2 in (1e-3, 1e-2, 1e-1, 1.0))
    return (fit_predict(g, gl, q, -best[1], steps, lr) == ql).astype(np.float64)


def fit_predict(g, gl, q, l2, steps, lr):
    mu, sd = g.mean(axis=0), g.std(axis=0) + 1e-6
    x, xt = (g - mu) / sd, (q - mu) / sd
    classes = np.unique(gl)
    y = (gl[:, None] == classes[None, :]).astype(np.float64)
    w, b = np.zeros((x.shape[1], len(classes))), np.zeros(len(classes))
    for _ in range(steps):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        d = (p - y) / len(x)
        w -= lr * (x.T @ d + l2 * w)
        b -= lr * d.sum(axis=0)
    return classes[np.argmax(xt @ w + b, axis=1)]


def hits(path, ks, with_probe=False):
    z = np.load(path)
    q, g = z["test_features"].astype(np.float64), z["train_features"].astype(np.float64)
    ql, gl = z["test_labels"], z["train_labels"]
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    order = np.argsort(-(q @ g.T), axis=1, kind="stable")  # as fedvssl: ties keep the gallery order
    same = gl[order] == ql[:, None]
    out = {f"R@{k}": same[:, :k].any(axis=1).astype(np.float64) for k in ks}
    if with_probe:
        out["probe top-1"] = probe(z["train_features"].astype(np.float64), gl, z["test_features"].astype(np.float64), ql)
    return out, len(ql)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("features", nargs="+")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5, 10])
    ap.add_argument("--draws", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe", action="store_true", help="also a linear probe's test top-1")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    runs = [hits(p, a.k, a.probe) for p in a.features]
    n = runs[0][1]
    if any(r[1] != n for r in runs):
        raise SystemExit("the files have different query counts: not the same test list")
    idx = rng.integers(0, n, size=(a.draws, n))  # the same resampled queries for every file: a paired bootstrap
    for path, (h, _) in zip(a.features, runs):
        parts = []
        for k in h:
            m = h[k][idx].mean(axis=1)
            s = f"{k} {100 * h[k].mean():5.1f} % [{100 * np.percentile(m, 2.5):5.1f}, {100 * np.percentile(m, 97.5):5.1f}]"
            if path != a.features[0]:
                d = h[k][idx].mean(axis=1) - runs[0][0][k][idx].mean(axis=1)
                s += (f" diff {100 * (h[k].mean() - runs[0][0][k].mean()):+5.1f} "
                      f"[{100 * np.percentile(d, 2.5):+5.1f}, {100 * np.percentile(d, 97.5):+5.1f}] P(>0) {np.mean(d > 0):.2f}")
            parts.append(s)
        print(f"{path}  ({n} queries)\n    " + "\n    ".join(parts))


if __name__ == "__main__":
    main()
