"""Golden for the downstream metrics (tests/test_eval.c): random scores, labels and features with the
expected top-k, confusion, mean class accuracy, clip means, softmax, L2-normalised features and
cosine-kNN recall, computed by brute force in NumPy.

  /usr/bin/python3 tools/gen_eval_golden.py   # writes tests/golden/eval.npz

Classification follows microsoft/CtP pyvrl TSNDataset.evaluate: sort_inds = scores.argsort(axis=1)[:, ::-1],
top-k = label among the first k; mean class accuracy = mean over the classes present in the labels of
their top-1 accuracy. With C <= 16 NumPy's default argsort is an insertion sort (stable), so among equal
scores the higher class index ranks first; the tie rows below check that rule.
Retrieval (the assumed protocol of docs/retrieval.md): features L2-normalised, similarity = dot product
(float64), neighbours by a stable sort of descending similarity, hit at k if any of the k nearest has the
query's label.
"""
import numpy as np

KS = [1, 5, 10, 20, 50]


def main():
    rng = np.random.default_rng(7)
    g = {}
    # ---- classification: N videos, C classes (class 5 never a label), 10 clips each
    N, C, CLIPS = 40, 7, 10
    clip_logits = (rng.standard_normal((N * CLIPS, C)) * 2).astype(np.float32)
    labels = rng.choice([0, 1, 2, 3, 4, 6], size=N).astype(np.int64)
    logits = clip_logits.reshape(N, CLIPS, C).astype(np.float64).mean(axis=1).astype(np.float32)
    # rows with ties (set on the clip-mean logits directly): all equal; two equal maxima; label tied at rank 4/5
    logits[0, :] = 0.5
    logits[1, :] = np.array([0, 3, 1, 3, -1, 2, 0], np.float32)
    logits[2, :] = np.array([5, 4, 1, 1, 1, 0, -2], np.float32)
    labels[0], labels[1], labels[2] = 3, 1, 2
    e = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    scores = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    sort_inds = scores.argsort(axis=1)[:, ::-1]
    assert (sort_inds == np.argsort(scores, axis=1, kind="stable")[:, ::-1]).all()
    top = {k: float(np.any(sort_inds[:, :k] == labels[:, None], axis=1).mean()) for k in (1, 2, 5)}
    pred = sort_inds[:, 0]
    conf = np.zeros((C, C), np.int64)
    for t, p in zip(labels, pred):
        conf[t, p] += 1
    per = np.full(C, np.nan)
    accs = []
    for c in range(C):
        rows = labels == c
        if rows.any():
            per[c] = float((pred[rows] == c).mean())
            accs.append(per[c])
    g.update(clip_logits=clip_logits, clip_mean=logits.copy(), labels=labels, scores=scores, pred=pred.astype(np.int64),
             confusion=conf, per_class=per, mean_class_accuracy=np.float64(np.mean(accs)),
             top1=np.float64(top[1]), top2=np.float64(top[2]), top5=np.float64(top[5]),
             rank=np.array([int(np.where(sort_inds[i] == labels[i])[0][0]) for i in range(N)], np.int64))
    # the clip mean of the untouched rows (rows 0-2 were overwritten above)
    g["clip_mean_ref"] = clip_logits.reshape(N, CLIPS, C).astype(np.float64).mean(axis=1).astype(np.float32)

    # ---- retrieval: Nq queries, Ng gallery items, D dims, 5 labels; label 4 has no gallery item
    Nq, Ng, D = 12, 30, 16
    q = (rng.standard_normal((Nq, D)) * rng.uniform(0.5, 3, (Nq, 1))).astype(np.float32)
    gal = (rng.standard_normal((Ng, D)) * rng.uniform(0.5, 3, (Ng, 1))).astype(np.float32)
    ql = rng.integers(0, 5, Nq).astype(np.int64)
    gl = rng.integers(0, 4, Ng).astype(np.int64)
    ql[0] = 4
    gal[7] = 0  # a zero feature stays zero
    # a tie: gallery 12 is a copy of gallery 3 with another label, and query 1 is that very vector
    gal[12] = gal[3]
    gl[12] = (gl[3] + 1) % 4
    q[1] = gal[3] * 2
    ql[1] = gl[12]

    def normalise(x):
        n = np.sqrt((x.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
        return np.where(n > 0, x / np.where(n > 0, n, 1), 0).astype(np.float32)

    qn, gn = normalise(q), normalise(gal)
    sim = qn.astype(np.float64) @ gn.astype(np.float64).T
    order = np.argsort(-sim, axis=1, kind="stable")
    recall = [float(np.mean([np.any(gl[order[i, :k]] == ql[i]) for i in range(Nq)])) for k in KS]
    g.update(q=q, g=gal, ql=ql, gl=gl, qn=qn, gn=gn, ks=np.array(KS, np.int64), recall=np.array(recall, np.float64))
    np.savez("tests/golden/eval.npz", **g)
    print("top1 %.4f top5 %.4f mca %.4f recall %s" % (top[1], top[5], np.mean(accs), recall))


if __name__ == "__main__":
    main()
