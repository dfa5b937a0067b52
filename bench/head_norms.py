#!/usr/bin/python3
"""Has the CtP head left its initialisation? The L2 norm of each head weight in every kept round checkpoint of a
pre-training run, as a Markdown table:

    /usr/bin/python3 bench/head_norms.py <run folder> [more round checkpoints ...]

The reference draws the prediction layers N(0, 0.001^2), so the backbone's gradient starts tiny (it is scaled by
them): a run that learns the pretext task shows fc1 and pred_head growing, one stuck at predicting zero motion
shows them flat (weight decay slowly shrinking them). Extra arguments add round checkpoints kept elsewhere (copies
made before checkpoint.keep_every pruned them). Needs NumPy."""
import glob
import os
import re
import sys

import numpy as np


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    files = glob.glob(os.path.join(run, "fedvssl_results", "round-*.npz")) + sys.argv[2:]
    rounds = {}
    for f in files:
        m = re.search(r"round-(\d+)\.npz$", f)
        if not m:
            sys.exit(f"{f}: not a round-<r>.npz checkpoint")
        rounds.setdefault(int(m.group(1)), f)
    if not rounds:
        sys.exit(f"{run}: no round checkpoints in fedvssl_results/")
    keys = None
    for r in sorted(rounds):
        with np.load(rounds[r]) as z:
            if keys is None:
                keys = [k for k in z.files if k.startswith("head.") and k.endswith(".weight")]
                print("| round | " + " | ".join(keys) + " |")
                print("|---|" + "---|" * len(keys))
            print(f"| {r} | " + " | ".join(f"{np.linalg.norm(z[k]):.3f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
