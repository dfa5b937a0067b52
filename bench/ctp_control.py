"""The long-run control: does fedvssl's CtP training follow PyTorch's over hundreds of steps and several rounds?

fedvssl pretrain with trace_dir=DIR writes, for every client fit, DIR/round-<r>/client-<c>/ with start.npz (the
state the fit began from), batch-<i>.npz (the step's clips and targets) and steps.jsonl (its loss and gradient
norm). This script trains the PyTorch twin (tools/torch_models.py) on exactly those batches, from round 1's start
state, as the reference would: per fit a fresh SGD (lr, momentum, weight decay, clip as given), the client keeping
its own head.* between rounds and taking the aggregated backbone.* (FedAvg by examples, or FedVSSL: alpha times the
exp(-loss)-weighted mean plus 1-alpha times FedAvg, then with beta a 0.5 moving average with the previous round);
the twin aggregates in NumPy from its own losses. Several twin runs measure PyTorch's own spread: float32, float32
from weights and clips moved by a relative 1e-6 (the size of rounding differences between two float32 programs),
and float64. A systematic difference of fedvssl from the twin (a loss falling more slowly, BN statistics
drifting) shows as a gap larger than that spread.

  /usr/bin/python3 bench/ctp_control.py DIR [--fedvssl ALPHA BETA | --fedavg] [--runs fp32,jitter,fp64]
"""
import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import torch_models as tm  # noqa: E402

JITTER = 1e-6


def fits(trace):
    """{round: {client: dir}} from the trace folder."""
    out = {}
    for d in glob.glob(os.path.join(trace, "round-*", "client-*")):
        r = int(os.path.basename(os.path.dirname(d)).split("-")[1])
        c = int(os.path.basename(d).split("-")[1])
        out.setdefault(r, {})[c] = d
    if not out:
        sys.exit(f"{trace}: no round-<r>/client-<c> folders (run fedvssl pretrain with trace_dir={trace})")
    return dict(sorted(out.items()))


def steps_of(d):
    with open(os.path.join(d, "steps.jsonl")) as f:
        return [json.loads(line) for line in f]


def load_npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def jittered(a, rng):
    return a * (1 + (rng.integers(0, 2, a.shape) * 2 - 1) * JITTER)


def mmcv_mean_loss(losses, interval=10):
    """The client's loss metric input: the mean of the interval means (5 decimals), the tail not logged."""
    means = [round(float(np.mean(losses[i:i + interval])), 5) for i in range(0, len(losses) - interval + 1, interval)]
    return float(np.mean(means)) if means else float(np.mean(losses))


def aggregate(states, weights):
    total = sum(weights)
    return {k: sum(s[k] * w for s, w in zip(states, weights)) / total for k in states[0]}


def train_fit(model, d, dtype, hp, rng):
    opt = torch.optim.SGD(model.parameters(), lr=hp.lr, momentum=hp.momentum, weight_decay=hp.wd)
    out = []
    n = len(glob.glob(os.path.join(d, "batch-*.npz")))
    for i in range(1, n + 1):
        b = load_npz(os.path.join(d, f"batch-{i:05d}.npz"))
        imgs = b["imgs"].astype(np.float64)
        if rng is not None:
            imgs = jittered(imgs, rng)
        _, lc, ls = model(torch.from_numpy(imgs).to(dtype), torch.from_numpy(b["gt_trajs"]).to(dtype),
                          torch.from_numpy(b["gt_weights"]).to(dtype))
        loss = lc + ls
        opt.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(list(model.parameters()), hp.clip if hp.clip > 0 else math.inf))
        opt.step()
        out.append({"loss": float(loss), "grad_norm": norm})
    return out


def state_np(model):
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_into(model, st, dtype):
    sd = {}
    for k, v in model.state_dict().items():
        a = st[k]
        sd[k] = torch.from_numpy(np.asarray(a)).to(torch.int64 if k.endswith("num_batches_tracked") else dtype)
    model.load_state_dict(sd)


def run_twin(plan, kind, hp):
    dtype = torch.float64 if kind == "fp64" else torch.float32
    rng = np.random.default_rng(1) if kind == "jitter" else None
    first = plan[min(plan)]
    init = load_npz(os.path.join(first[min(first)], "start.npz"))
    if rng is not None:
        init = {k: (v if k.endswith("num_batches_tracked") else jittered(v.astype(np.float64), rng)) for k, v in init.items()}
    model = tm.CtP().to(dtype).train()
    heads, glob_state, prev, curves, starts = {}, init, None, {}, {}
    for r, clients in plan.items():
        states, n_ex, metric = [], [], []
        for c, d in sorted(clients.items()):
            st = dict(glob_state)
            if c in heads:
                st.update(heads[c])
            starts[(r, c)] = st
            load_into(model, st, dtype)
            log = train_fit(model, d, dtype, hp, rng)
            curves[(r, c)] = log
            s = state_np(model)
            heads[c] = {k: v for k, v in s.items() if k.startswith("head.")}
            states.append({k: v.astype(np.float64) for k, v in s.items()})
            n_ex.append(hp.examples[c])
            metric.append(math.exp(-mmcv_mean_loss([x["loss"] for x in log])))
        A = aggregate(states, n_ex)
        if hp.fedavg:
            cur = A
        else:
            lw = aggregate(states, metric)
            cur = {k: hp.alpha * lw[k] + (1 - hp.alpha) * A[k] for k in A}
            if hp.beta and prev is not None:
                cur = {k: 0.5 * prev[k] + 0.5 * cur[k] for k in cur}
            prev = cur
        glob_state = {k: (np.rint(v).astype(np.int64) if k.endswith("num_batches_tracked") else v) for k, v in cur.items()}
    final = dict(glob_state)
    return curves, starts, final


def rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def state_table(rows, base):
    """Per (name, state): the relative distance of its backbone conv weights to base's, and the levels of its BN
    running statistics (drifting statistics show there)."""
    w = [x for x in base if x.startswith("backbone.") and x.endswith(".weight") and np.ndim(base[x]) == 5]
    print("| run | distance | mean running_var | mean abs running_mean |")
    print("|---|---|---|---|")
    for k, st in rows:
        dw = rel_diff(np.concatenate([np.ravel(st[x]) for x in w]), np.concatenate([np.ravel(base[x]) for x in w]))
        rv = np.mean([np.mean(st[x]) for x in base if x.endswith("running_var")])
        rm = np.mean([np.mean(np.abs(st[x])) for x in base if x.endswith("running_mean")])
        print(f"| {k} | {dw:.2e} | {rv:.5f} | {rm:.5f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--fedavg", action="store_true", help="aggregate by examples (one client: centralized)")
    ap.add_argument("--fedvssl", nargs=2, type=float, metavar=("ALPHA", "BETA"), default=(0.9, 1))
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--clip", type=float, default=40)
    ap.add_argument("--runs", default="fp32,jitter,fp64")
    ap.add_argument("--block", type=int, default=40, help="steps per row of the table")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", help="write every curve and statistic here")
    ap.add_argument("--final", help="fedvssl's state after the last round (fedvssl_results/round-<R>.npz) to compare")
    hp = ap.parse_args()
    hp.alpha, hp.beta = hp.fedvssl[0], int(hp.fedvssl[1])
    if hp.threads:
        torch.set_num_threads(hp.threads)
    plan = fits(hp.trace)
    # a client's examples (FedAvg weight) = batches x clips per batch of its first fit
    hp.examples = {}
    for clients in plan.values():
        for c, d in clients.items():
            if c not in hp.examples:
                hp.examples[c] = sum(load_npz(p)["imgs"].shape[0] for p in glob.glob(os.path.join(d, "batch-*.npz")))
    ours = {(r, c): steps_of(d) for r, cl in plan.items() for c, d in cl.items()}
    runs = {}
    for kind in hp.runs.split(","):  # the tables after every twin run: a long one (fp64) can be stopped
        t0 = time.time()
        runs[kind] = run_twin(plan, kind, hp)
        print(f"twin {kind}: {time.time() - t0:.0f} s", file=sys.stderr)
        report(hp, plan, ours, runs)


def report(hp, plan, ours, runs):
    def flat(curves, key):  # one sequence over rounds and clients, in the order trained
        return np.array([x[key] for rc in sorted(curves) for x in curves[rc]])

    cur_ours = {k: v for k, v in ours.items()}
    seq = {"fedvssl": {m: flat(cur_ours, m) for m in ("loss", "grad_norm")}}
    for kind, (curves, _, _) in runs.items():
        seq[kind] = {m: flat(curves, m) for m in ("loss", "grad_norm")}
    n = len(seq["fedvssl"]["loss"])
    names = list(seq)
    print(f"== fedvssl and the twin runs {', '.join(runs)}\n"
          f"{len(plan)} round(s), {len(plan[min(plan)])} client(s), {n} steps; mean per block of {hp.block} steps")
    for m in ("loss", "grad_norm"):
        print(f"\n{m}:")
        print("| steps | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for s in range(0, n, hp.block):
            row = [f"{np.mean(seq[k][m][s:s + hp.block]):.5f}" for k in names]
            print(f"| {s + 1}-{min(n, s + hp.block)} | " + " | ".join(row) + " |")
        print("| all | " + " | ".join(f"{np.mean(seq[k][m]):.5f}" for k in names) + " |")
    # step-by-step gaps: fedvssl vs the float32 twin, against the twin's own float32 spread
    ref = "fp32" if "fp32" in seq else names[1]
    print(f"\nmean |difference| of the step loss to twin {ref}, per block:")
    others = [k for k in names if k != ref]
    print("| steps | " + " | ".join(others) + " |")
    print("|---|" + "---|" * len(others))
    for s in range(0, n, hp.block):
        row = [f"{np.mean(np.abs(seq[k]['loss'][s:s + hp.block] - seq[ref]['loss'][s:s + hp.block])):.5f}" for k in others]
        print(f"| {s + 1}-{min(n, s + hp.block)} | " + " | ".join(row) + " |")
    # the states each fit started from: fedvssl's start.npz against the twins'
    print(f"\nrelative L2 distance of the state a fit started from, to twin {ref}'s (backbone weights | BN running var):")
    print("| round, client | " + " | ".join(others) + " |")
    print("|---|" + "---|" * len(others))
    stats = {}
    for (r, c) in sorted(runs[ref][1]):
        mine = load_npz(os.path.join(plan[r][c], "start.npz"))
        base = runs[ref][1][(r, c)]
        cols = []
        for k in others:
            st = mine if k == "fedvssl" else runs[k][1][(r, c)]
            w = [x for x in base if x.startswith("backbone.") and x.endswith(".weight") and np.ndim(base[x]) == 5]
            v = [x for x in base if x.endswith("running_var")]
            dw = rel_diff(np.concatenate([np.ravel(st[x]) for x in w]), np.concatenate([np.ravel(base[x]) for x in w]))
            dv = rel_diff(np.concatenate([np.ravel(st[x]) for x in v]), np.concatenate([np.ravel(base[x]) for x in v]))
            stats[f"r{r}c{c}.{k}"] = (dw, dv)
            cols.append(f"{dw:.2e} / {dv:.2e}")
        print(f"| {r}, {c} | " + " | ".join(cols) + " |")
    if hp.final:  # the global state after the last round, and the BN statistics' levels
        print(f"\nafter the last round (backbone conv weights | BN running mean | running var), to twin {ref}'s:")
        state_table([("fedvssl", load_npz(hp.final))] + [(k, runs[k][2]) for k in runs], runs[ref][2])
    sys.stdout.flush()
    if hp.json:
        with open(hp.json, "w") as f:
            json.dump({"steps": {k: {m: v.tolist() for m, v in d.items()} for k, d in seq.items()},
                       "start_state_distance": stats}, f)


if __name__ == "__main__":
    main()
