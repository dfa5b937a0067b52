#!/usr/bin/env python3
"""Writes tests/golden/*.npz from PyTorch (Debian python3-torch + python3-torchvision), computed
in float64. Inputs come from tools/detgen.py, which tests/detgen.h reproduces bit for bit, so the
goldens hold results only. Large tensors are summarised (a random projection and the L2 norm) to
keep the files small.

Run by hand:  /usr/bin/python3 tools/make_goldens.py [ops] [ctp] [tsn] [ctp_steps] [tsn_steps] [ctp_bf16] [tsn_bf16]
(FEDVSSL_GOLDEN_OUT=dir writes elsewhere; a float64 step takes ~150 s on 2 cores, *_steps ~8 min each)"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

sys.path.insert(0, os.path.dirname(__file__))
import detgen  # noqa: E402
import torch_models as tm  # noqa: E402

OUT = os.environ.get("FEDVSSL_GOLDEN_OUT") or os.path.join(os.path.dirname(__file__), "..", "tests", "golden")
FULL_MAX = 4096
JITTER = 1e-6  # relative input/weight change of the float32 noise-floor runs
NOISE_RUNS = 5  # float32 runs that measure PyTorch's own noise (one-step goldens)
NOISE_RUNS_MULTI = 12  # the same for the multi-step and clip goldens: after 3 steps the noise is heavy-tailed
GRAD_NOISE_MAX = 0.1  # multi-step golden: last-step gradients whose float32 noise is above this are not stored
torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)


def det(seed, shape, scale=1.0):
    n = int(np.prod(shape))
    return (detgen.uniform(seed, n) * scale).astype(np.float32).reshape(shape)


def summary_error(t, got, index):
    """The error measure of tests/golden.h cmp_summary(): |got - t| / |t| (2-norms), exact for
    small tensors, through a random projection and the norms for large ones."""
    n = t.size
    norm = np.linalg.norm(t)
    if n <= FULL_MAX:
        return np.linalg.norm(got - t) / norm if norm > 0 else np.linalg.norm(got)
    r = detgen.uniform(5000 + index, n)
    e2 = abs(np.dot(r, got) - np.dot(r, t)) / (norm * np.sqrt(1 / 3.0))  # E|r.e| ~ |e| / sqrt(3)
    e3 = abs(np.linalg.norm(got) - norm) / norm
    return max(e2, e3)


def summarise(out, prefix, index, t, t32=()):
    """C side: tests/golden.h cmp_summary() recomputes the same summary. With t32 (PyTorch's own
    float32 results) also stores PyTorch's worst error under the same measure, the bar for ours."""
    t = np.asarray(t, dtype=np.float64).ravel()
    if len(t32):
        out[f"{prefix}.torch32"] = np.array(max(summary_error(t, np.asarray(r, dtype=np.float64).ravel(), index)
                                                for r in t32))
    if t.size <= FULL_MAX:
        out[f"{prefix}.full"] = t.astype(np.float32)  # float32 keeps ~6e-8 relative: enough
        return
    out[f"{prefix}.proj"] = np.array(np.dot(detgen.uniform(5000 + index, t.size), t))
    out[f"{prefix}.norm"] = np.array(np.linalg.norm(t))


def load_state(model, dtype):
    sd = model.state_dict()
    new = {}
    for i, (k, v) in enumerate(sd.items()):
        a = detgen.state_value(i, k, tuple(v.shape))
        new[k] = torch.from_numpy(a).to(torch.int64 if k.endswith("num_batches_tracked") else dtype)
    model.load_state_dict(new)
    return {k: v.clone() for k, v in new.items()}


def sgd_step(model, lr=0.01, momentum=0.9, wd=1e-4, clip=40.0):
    params = [p for p in model.parameters()]
    norm = torch.nn.utils.clip_grad_norm_(params, clip)
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    opt.step()
    return float(norm)


def model_step(kind, B, dtype, jitter=0, bf16=False):
    """One training step in `dtype`; returns outputs, gradients and state updates (float64).
    jitter > 0 multiplies the weights and the input by (1 +- JITTER) with random signs (seeded by
    jitter): a change of the size of the rounding differences between two float32
    implementations, which shows how far float32 results move by rounding alone. ReLU masks flip
    for pre-activations that close to zero, and each flip moves the gradients of every layer below.
    bf16: the forward under CPU autocast to bfloat16 (PyTorch's own mixed precision), float32 weights."""
    torch.manual_seed(0)
    model = tm.CtP() if kind == "ctp" else tm.TSN(dropout=0.0)
    model = model.to(dtype).train()
    w0 = load_state(model, dtype)
    bt = detgen.batch(kind, B)
    imgs = torch.from_numpy(bt["imgs"]).to(dtype)
    if jitter:
        g = torch.Generator().manual_seed(jitter)

        def jit(t):
            return t * (1 + (torch.randint(0, 2, t.shape, generator=g).to(dtype) * 2 - 1) * JITTER)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(jit(p))
        imgs = jit(imgs)
    res = {}
    # under autocast the head's outputs are bf16: the loss in fp32 as fedvssl computes it; otherwise in `dtype`
    # (the float64 reference stays float64 end to end)
    loss_t = torch.float32 if bf16 else dtype
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        if kind == "ctp":
            pred, lc, ls = model(imgs, torch.from_numpy(bt["gt_trajs"]).to(dtype))
            loss = lc.to(loss_t) + ls.to(loss_t)
            res["loss_ctr"], res["loss_size"], res["pred"] = float(lc), float(ls), pred.detach().double().numpy()
        else:
            logits = model(imgs)
            loss = F.cross_entropy(logits.to(loss_t), torch.from_numpy(bt["labels"]))
            res["logits"] = logits.detach().double().numpy()
    res["loss"] = float(loss)
    loss.backward()
    params = dict(model.named_parameters())
    res["grads"] = [params[k].grad.double().numpy() if k in params else None for k in w0]
    res["grad_norm"] = sgd_step(model)
    res["deltas"] = [(v.double() - w0[k].double()).numpy() for k, v in model.state_dict().items()]
    res["keys"] = list(w0)
    return res


def model_eval(kind, B):
    """Inference-mode output (BN running statistics, no dropout) of the deterministic state."""
    model = (tm.CtP() if kind == "ctp" else tm.TSN()).double().eval()
    load_state(model, torch.float64)
    bt = detgen.batch(kind, B)
    with torch.no_grad():
        imgs = torch.from_numpy(bt["imgs"]).double()
        if kind == "ctp":
            return model(imgs, torch.from_numpy(bt["gt_trajs"]).double())[0].numpy()
        return model(imgs).numpy()


def model_golden(kind, B=2):
    ref = model_step(kind, B, torch.float64)
    runs = [model_step(kind, B, torch.float32, j) for j in range(NOISE_RUNS)]
    # PyTorch's float32 error under ulp-level input changes: the fp32 noise floor of each tensor.
    # (ReLU masks flip for values within rounding of zero, so one run alone can be lucky.)
    out = {}
    for k in ("loss", "loss_ctr", "loss_size", "grad_norm"):
        if k in ref:
            out[k] = np.array(ref[k])
    outk = "pred" if kind == "ctp" else "logits"
    out[outk] = ref[outk].astype(np.float32)
    out["eval_" + outk] = model_eval(kind, B).astype(np.float32)
    out[outk + ".torch32"] = np.array(max(np.abs(r[outk] - ref[outk]).max() for r in runs) / np.abs(ref[outk]).max())
    for i, k in enumerate(ref["keys"]):
        if ref["grads"][i] is not None:
            summarise(out, f"grad.{k}", i, ref["grads"][i], [r["grads"][i] for r in runs])
        summarise(out, f"delta.{k}", i, ref["deltas"][i], [r["deltas"][i] for r in runs])
    np.savez_compressed(os.path.join(OUT, f"model_{kind}.npz"), **out)
    worst = max((float(v), k) for k, v in out.items() if k.endswith(".torch32"))
    print(kind, "loss", ref["loss"], "entries", len(out), "PyTorch fp32 worst error", worst)


def bf16_golden(kind, B=2, runs=NOISE_RUNS):
    """PyTorch's own bfloat16 error (CPU autocast, float32 weights) against the float64 step, per tensor, worst
    over `runs` ulp-jittered runs: model_<kind>_bf16.npz holds <name>.torchbf16 for the loss, the output, the
    gradient norm and every gradient, the bar tests/test_model.c sets fedvssl's precision=bf16 against."""
    ref = model_step(kind, B, torch.float64)
    got = [model_step(kind, B, torch.float32, j, bf16=True) for j in range(runs)]
    out = {}
    for k in ("loss", "grad_norm"):
        out[k + ".torchbf16"] = np.array(max(abs(r[k] - ref[k]) / abs(ref[k]) for r in got))
    outk = "pred" if kind == "ctp" else "logits"
    out[outk + ".torchbf16"] = np.array(max(np.abs(r[outk] - ref[outk]).max() for r in got) / np.abs(ref[outk]).max())
    for i, k in enumerate(ref["keys"]):
        if ref["grads"][i] is not None:
            t = np.asarray(ref["grads"][i], dtype=np.float64).ravel()
            out[f"grad.{k}.torchbf16"] = np.array(max(summary_error(t, np.asarray(r["grads"][i], dtype=np.float64).ravel(), i)
                                                      for r in got))
    np.savez_compressed(os.path.join(OUT, f"model_{kind}_bf16.npz"), **out)
    worst = max((float(v), k) for k, v in out.items())
    print(kind, "PyTorch bf16 autocast worst error", worst)


TSN_DROPOUT_SEED = 3  # fedvssl grad --seed of the TSN multi-step and clip goldens


def model_multi(kind, B, dtype, jitter=0, steps=3, clip2=10.0, dropout=0.5, seed=TSN_DROPOUT_SEED, lr=0.01,
                device="cpu"):
    """`steps` training steps on the same batch with one SGD optimizer (momentum carried; BN running stats and
    num_batches_tracked advance every step), clip 40 (never reached here), as `fedvssl grad --steps`. TSN runs
    with dropout p = `dropout` and fedvssl's masks (a new one every step). Also, from the first step's
    gradients, the update with clip `clip2` (which the ~23-24 gradient norms do reach): returns (steps result,
    clip result), float64. jitter: as model_step. device: where it runs (tools/gpu_noise.py: "cuda")."""
    torch.manual_seed(0)
    model = tm.CtP() if kind == "ctp" else tm.TSN(dropout=0.0)
    if kind == "tsn":
        model.cls_head.dropout = tm.FixedMaskDropout(dropout)
    model = model.to(dtype).train()
    w0 = load_state(model, dtype)
    model = model.to(device)
    bt = detgen.batch(kind, B)
    imgs = torch.from_numpy(bt["imgs"]).to(device=device, dtype=dtype)
    if jitter:
        g = torch.Generator().manual_seed(jitter)

        def jit(t):
            sign = torch.randint(0, 2, t.shape, generator=g).to(device=device, dtype=dtype) * 2 - 1
            return t * (1 + sign * JITTER)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(jit(p))
        imgs = jit(imgs)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=1e-4)
    keys = list(w0)
    res = {"losses": [], "grad_norms": [], "keys": keys}
    clip_res = {"keys": keys}

    def deltas():
        return [(v.double().cpu() - w0[k].double()).numpy() for k, v in model.state_dict().items()]

    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        if kind == "tsn":
            model.cls_head.dropout.keep = torch.from_numpy(tm.fedvssl_dropout_keep(seed, step, B * 512)).to(device)
        out = {}
        if kind == "ctp":
            pred, lc, ls = model(imgs, torch.from_numpy(bt["gt_trajs"]).to(device=device, dtype=dtype))
            loss = lc + ls
            out["loss_ctr"], out["loss_size"], out["pred"] = float(lc), float(ls), pred.detach().double().cpu().numpy()
        else:
            logits = model(imgs)
            loss = F.cross_entropy(logits, torch.from_numpy(bt["labels"]).to(device))
            out["logits"] = logits.detach().double().cpu().numpy()
        out["loss"] = float(loss)
        loss.backward()
        named = dict(model.named_parameters())
        out["grads"] = [named[k].grad.double().cpu().numpy().copy() if k in named else None for k in keys]
        if step == 0:  # the clip2 update of the same gradients, then back to where we were
            saved = {k: v.clone() for k, v in model.state_dict().items()}
            grads = [p.grad.clone() for p in params]
            clip_res.update(out)
            clip_res["grad_norm"] = sgd_step(model, clip=clip2)
            clip_res["deltas"] = deltas()
            model.load_state_dict(saved)
            for p, g0 in zip(params, grads):
                p.grad = g0
        norm = float(torch.nn.utils.clip_grad_norm_(params, 40.0))
        opt.step()
        res["losses"].append(out["loss"])
        res["grad_norms"].append(norm)
        res.update(out)
    res["grad_norm"] = res["grad_norms"][-1]
    res["deltas"] = deltas()
    return res, clip_res


def write_multi(kind, name, ref, runs, with_grads):
    """Like model_golden's file. Gradients (with_grads) only where PyTorch's own float32 noise on them is at most
    GRAD_NOISE_MAX: three SGD steps turn rounding-level differences into gradient differences of 10-150 % in most
    backbone tensors (ReLU flips in step 1 move the weights of step 2, and so on), where a 3x bound tests nothing.
    The state change after the steps (delta.*), which carries every step's gradients, is stored for every entry."""
    out = {}
    for k in ("loss", "loss_ctr", "loss_size", "grad_norm", "losses", "grad_norms"):
        if k in ref:
            out[k] = np.array(ref[k], dtype=np.float64)
    for k, one in (("losses", "loss"), ("grad_norms", "grad_norm")):  # PyTorch's float32 error, as for tensors
        want = np.atleast_1d(np.array(ref.get(k, ref[one]), dtype=np.float64))
        got = [np.atleast_1d(np.array(r.get(k, r[one]), dtype=np.float64)) for r in runs]
        out[k + ".torch32"] = np.array(max(np.abs(g - want).max() for g in got) / np.abs(want).max())
    outk = "pred" if kind == "ctp" else "logits"
    out[outk] = ref[outk].astype(np.float32)
    out[outk + ".torch32"] = np.array(max(np.abs(r[outk] - ref[outk]).max() for r in runs) / np.abs(ref[outk]).max())
    dropped = []
    for i, k in enumerate(ref["keys"]):
        if with_grads and ref["grads"][i] is not None:
            g = {}
            summarise(g, f"grad.{k}", i, ref["grads"][i], [r["grads"][i] for r in runs])
            if g[f"grad.{k}.torch32"] <= GRAD_NOISE_MAX:
                out.update(g)
            else:
                dropped.append(k)
        summarise(out, f"delta.{k}", i, ref["deltas"][i], [r["deltas"][i] for r in runs])
    np.savez_compressed(os.path.join(OUT, name), **out)
    if dropped:
        print(name, f"{len(dropped)} gradients left out (PyTorch float32 noise > {GRAD_NOISE_MAX}):", " ".join(dropped))
    worst = max((float(v), k) for k, v in out.items() if k.endswith(".torch32"))
    print(name, "loss", ref["loss"], "grad norm", ref["grad_norm"], "entries", len(out), "PyTorch fp32 worst error",
          worst)


def multi_golden(kind, B=2):
    """model_<kind>_steps3.npz (3 steps: every step's loss and gradient norm, the last step's outputs and
    gradients, the state change after the 3 steps) and model_<kind>_clip10.npz (one step clipped to 10: outputs,
    gradient norm, state change). TSN: dropout 0.5 with fedvssl's masks of --seed TSN_DROPOUT_SEED."""
    ref, ref_clip = model_multi(kind, B, torch.float64)
    runs = [model_multi(kind, B, torch.float32, j) for j in range(NOISE_RUNS_MULTI)]
    write_multi(kind, f"model_{kind}_steps3.npz", ref, [r[0] for r in runs], True)
    write_multi(kind, f"model_{kind}_clip10.npz", ref_clip, [r[1] for r in runs], False)


def t64(a, grad=False):
    return torch.tensor(a.astype(np.float64), requires_grad=grad)


def ops_golden():
    out = {}
    # conv3d: (name, N, Cin, Cout, D, H, W, k, s, p, bias) -- odd sizes on purpose
    convs = [
        ("stem", 2, 3, 8, 5, 13, 11, (3, 7, 7), (1, 2, 2), (1, 3, 3), False),
        ("k3s1", 2, 8, 16, 5, 9, 7, (3, 3, 3), (1, 1, 1), (1, 1, 1), False),
        ("k3s2", 1, 16, 24, 7, 9, 11, (3, 3, 3), (2, 2, 2), (1, 1, 1), False),
        ("k3s211", 2, 16, 8, 5, 6, 7, (3, 3, 3), (2, 1, 1), (1, 1, 1), False),
        ("k1s2", 2, 8, 16, 5, 9, 7, (1, 1, 1), (2, 2, 2), (0, 0, 0), False),
        ("temporal", 2, 16, 16, 2, 5, 5, (2, 1, 1), (1, 1, 1), (0, 0, 0), True),
    ]
    for ci, (name, N, Ci, Co, D, H, W, k, s, p, bias) in enumerate(convs):
        x = t64(det(100 + ci, (N, Ci, D, H, W)), True)
        w = t64(det(200 + ci, (Co, Ci) + k, 0.2), True)
        b = t64(det(300 + ci, (Co,), 0.1), True) if bias else None
        y = F.conv3d(x, w, b, s, p)
        dy = t64(det(400 + ci, tuple(y.shape)))
        y.backward(dy)
        out[f"conv.{name}.y"] = y.detach().numpy()
        out[f"conv.{name}.dx"] = x.grad.numpy()
        out[f"conv.{name}.dw"] = w.grad.numpy()
        if bias:
            out[f"conv.{name}.db"] = b.grad.numpy()
    # batch norm, train mode, eps 1e-3, momentum 0.1
    shape = (2, 16, 3, 5, 7)
    x = t64(det(500, shape, 2.0) + 0.5, True)
    g = t64(det(501, (16,), 0.5) + 1.0, True)
    bb = t64(det(502, (16,), 0.3), True)
    rm = torch.tensor(det(503, (16,), 0.1).astype(np.float64))
    rv = torch.tensor(det(504, (16,), 0.2).astype(np.float64) + 1.0)
    y = F.batch_norm(x, rm, rv, g, bb, True, 0.1, 1e-3)
    dy = t64(det(505, shape))
    y.backward(dy)
    out.update({"bn.y": y.detach().numpy(), "bn.dx": x.grad.numpy(), "bn.dgamma": g.grad.numpy(),
                "bn.dbeta": bb.grad.numpy(), "bn.rm": rm.numpy(), "bn.rv": rv.numpy()})
    ye = F.batch_norm(x.detach(), rm, rv, g.detach(), bb.detach(), False, 0.1, 1e-3)
    out["bn.y_eval"] = ye.numpy()
    # RoIAlign (mmcv aligned=True == torchvision aligned=True): feature 9x11, scale 1/8
    feat = t64(det(600, (2, 16, 9, 11)), True)
    rois = np.array([
        [0, 0, 0, 88, 72],        # the whole map, touching every border
        [1, 10.5, 3.25, 40, 30],  # fractional
        [0, 80, 60, 88, 72],      # bottom-right corner
        [1, -20, -10, 30, 20],    # partly outside (top-left)
        [0, 70, 50, 130, 100],    # partly outside (bottom-right)
        [1, 33, 33, 33, 33],      # empty box
        [0, 2, 70, 9, 71],        # thin
    ], dtype=np.float32)
    o = roi_align(feat, torch.tensor(rois.astype(np.float64)), (5, 5), spatial_scale=0.125, sampling_ratio=2,
                  aligned=True)
    do = t64(det(601, tuple(o.shape)))
    o.backward(do)
    out.update({"roi.rois": rois, "roi.y": o.detach().numpy(), "roi.dfeat": feat.grad.numpy()})
    # smooth-L1 CtP loss and cross-entropy
    B = 2
    trajs = detgen.batch("ctp", B, 16, 112, 112)["gt_trajs"]
    pred = t64(det(700, (B * 3, 64), 3.0), True)
    wts = det(701, (B, 3, 16), 0.5) + 0.5
    lc, ls = tm.ctp_loss(pred, torch.tensor(trajs.astype(np.float64)), torch.tensor(wts.astype(np.float64)))
    (lc + ls).backward()
    out.update({"l1.weights": wts, "l1.ctr": np.array(float(lc)), "l1.size": np.array(float(ls)),
                "l1.dpred": pred.grad.numpy()})
    logits = t64(det(702, (5, 101), 4.0), True)
    labels = np.array([0, 100, 17, 17, 55], dtype=np.int64)
    ce = F.cross_entropy(logits, torch.tensor(labels))
    ce.backward()
    out.update({"ce.loss": np.array(float(ce)), "ce.dlogits": logits.grad.numpy(), "ce.labels": labels})
    out = {k: (v.astype(np.float32) if v.dtype == np.float64 and v.ndim else v) for k, v in out.items()}
    np.savez_compressed(os.path.join(OUT, "ops.npz"), **out)
    print("ops", len(out), "arrays")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    what = sys.argv[1:] or ["ops", "ctp", "tsn", "ctp_steps", "tsn_steps"]
    if "ops" in what:
        ops_golden()
    for k in ("ctp", "tsn"):
        if k in what:
            model_golden(k)
        if k + "_steps" in what:
            multi_golden(k)
        if k + "_bf16" in what:
            bf16_golden(k)
