"""Goldens for the server strategies (tests/test_fl.c): random client states aggregated over 3 rounds
by NumPy exactly as the reference code computes them, so the C aggregation can be checked bit for bit.

  /usr/bin/python3 tools/gen_strategy_golden.py   # writes tests/golden/strategy.npz

Formulas (spec §3.5-3.7):
  flwr.server.strategy.aggregate.aggregate:  reduce(np.add, [layer * w_k]) / sum(w_k)
  fedavg      A                                   (no moving average)
  fedvssl     w = a*Lw + (1-a)*A, element-wise (authors' object arrays); swbeta: 0.5*prev + 0.5*w
  flower      [a*A] ++ [(1-a)*Lw] (list concatenation, 2L entries); swbeta: 0.5*prev + 0.5*list
"""
from functools import reduce
import numpy as np

# a small state laid out like a model's: float tensors and 0-d int64 counters
SHAPES = [("conv.weight", (4, 3, 1, 1, 2)), ("bn.weight", (4,)), ("bn.running_mean", (4,)),
          ("bn.num_batches_tracked", ()), ("head.fc.weight", (3, 5)), ("head.fc.bias", (3,)),
          ("head.nbt", ())]
K, ROUNDS = 3, 3
ALPHA = 0.9


def aggregate(results):  # flwr 1.5's aggregate()
    total = sum(w for _, w in results)
    weighted = [[layer * w for layer in weights] for weights, w in results]
    return [reduce(np.add, layer_updates) / total for layer_updates in zip(*weighted)]


def client_states(rng):
    out = []
    for name, shp in SHAPES:
        if name.endswith("num_batches_tracked") or name.endswith("nbt"):
            out.append(np.array(rng.integers(0, 1000), dtype=np.int64))
        else:
            out.append((rng.standard_normal(shp) * rng.uniform(0.1, 3)).astype(np.float32))
    return out


def main():
    rng = np.random.default_rng(2024)
    g = {}
    prev = {"fedvssl": None, "fedvssl_b0": None, "flower": None}
    for r in range(1, ROUNDS + 1):
        states = [client_states(rng) for _ in range(K)]
        n = [int(rng.integers(5, 2000)) for _ in range(K)]
        e = [float(np.exp(-rng.uniform(0.2, 3))) for _ in range(K)]
        for k in range(K):
            for (name, _), a in zip(SHAPES, states[k]):
                g[f"r{r}.c{k}.{name}"] = a
        g[f"r{r}.n"] = np.array(n, dtype=np.int64)
        g[f"r{r}.e"] = np.array(e, dtype=np.float64)
        A = aggregate(list(zip(states, n)))
        Lw = aggregate(list(zip(states, e)))
        res = {"fedavg": A}
        w = [ALPHA * l + (1 - ALPHA) * a for l, a in zip(Lw, A)]
        for key, beta in (("fedvssl", 1), ("fedvssl_b0", 0)):
            cur = w
            if beta == 1 and r > 1:
                cur = [0.5 * p + 0.5 * x for p, x in zip(prev[key], w)]
            res[key] = cur
            prev[key] = cur
        lst = [ALPHA * a for a in A] + [(1 - ALPHA) * l for l in Lw]
        if r > 1:
            lst = [0.5 * p + 0.5 * x for p, x in zip(prev["flower"], lst)]
        prev["flower"] = lst
        res["flower"] = lst
        for key, vals in res.items():
            L = len(SHAPES)
            for i, (name, _) in enumerate(SHAPES):
                g[f"exp.{key}.r{r}.{name}"] = np.asarray(vals[i])
                if key == "flower":
                    g[f"exp.{key}.r{r}.h.{name}"] = np.asarray(vals[L + i])
    for k, v in g.items():  # the dtypes the reference produces (§3.5)
        if k.startswith("exp.") and (k.endswith("num_batches_tracked") or k.endswith("nbt")):
            assert v.dtype == np.float64, (k, v.dtype)
    np.savez("tests/golden/strategy.npz", **g)
    print("wrote tests/golden/strategy.npz,", len(g), "arrays")


if __name__ == "__main__":
    main()
