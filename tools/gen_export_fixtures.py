#!/usr/bin/python3
"""Full-size CtP checkpoints written by NumPy for tests/test_export.c, and a check of what
`fedvssl export` makes of them. Run by hand from the repository root with /usr/bin/python3 (NumPy and
PyTorch needed; PyTorch only for the state-dict names and shapes and the .pth check):

    /usr/bin/python3 tools/gen_export_fixtures.py          # writes tests/golden/export/*.npz
    /usr/bin/python3 tools/gen_export_fixtures.py --check  # runs ./build/fedvssl export on them, loads the
                                                           # outputs with np.load / torch.load, compares

Fixtures: every entry of the CtP state dict (126, spec Appendix A) with values a formula of the entry's
position j and the flat element index k (see value()), so they compress to a few hundred KiB and the
test can recompute every value:
  flwr_round.npz     the baseline's round-<r>-weights.array.npz: 0-d object array holding a flwr Parameters
                     of 126 np.save blobs, counters float64 as its aggregation leaves them (spec 3.8)
  authors_ctp.npz    the authors' release: arr_0 = object array of 126 ndarrays, counters int64
Both deflated (the real files are stored; the reader inflates either way)."""
import io, os, subprocess, sys, tempfile, zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "golden", "export")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def ctp_layout():
    import torch_models
    m = torch_models.CtP()
    return [(n, tuple(t.shape), t.dtype.is_floating_point) for n, t in m.state_dict().items()]


def value(j, shape, floating, counter_dtype):
    """Entry j: float32 (j + 1) / 1024 + (k mod 2) / 65536 (exact in float32); a counter is 100 + j."""
    if not floating:
        return np.array(100 + j, dtype=counter_dtype)
    n = int(np.prod(shape)) if shape else 1
    k = np.arange(n) % 2
    return ((j + 1) / 1024 + k / 65536).astype(np.float32).reshape(shape)


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


def savez_deflated(path, obj):
    """np.savez_compressed with a fixed date, so that reruns give the same bytes."""
    b = io.BytesIO()
    np.save(b, obj, allow_pickle=True)
    zi = zipfile.ZipInfo("arr_0.npy", (1980, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compresslevel=9) as z:
        z.writestr(zi, b.getvalue())


def write_fixtures():
    from gen_ckpt_fixtures import fake_flwr
    os.makedirs(OUT, exist_ok=True)
    lay = ctp_layout()
    assert len(lay) == 126 and lay[120][0] == "head.temporal_conv.weight"
    with tempfile.TemporaryDirectory() as tmp:
        Parameters = fake_flwr(tmp)
        p = Parameters(tensors=[npy_bytes(value(j, s, f, np.float64)) for j, (_, s, f) in enumerate(lay)],
                       tensor_type="numpy.ndarray")
        savez_deflated(os.path.join(OUT, "flwr_round.npz"), np.array(p, dtype=object))
        sys.path.remove(tmp)
    obj = np.empty(len(lay), dtype=object)
    for j, (_, s, f) in enumerate(lay):
        obj[j] = value(j, s, f, np.int64)
    savez_deflated(os.path.join(OUT, "authors_ctp.npz"), obj)
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)), "bytes")


def check():
    import torch
    lay = ctp_layout()
    exe = os.path.join(ROOT, "build", "fedvssl")
    with tempfile.TemporaryDirectory() as tmp:
        for fix, cdt in [("flwr_round.npz", torch.float64), ("authors_ctp.npz", torch.int64)]:
            src = os.path.join(OUT, fix)
            init, pth, ref = (os.path.join(tmp, n) for n in ("init.npz", "ours.pth", "ref.pth"))
            subprocess.run([exe, "export", src, "out=" + init, "pth=" + pth, "classes=11", "--quiet"], check=True)
            subprocess.run([exe, "export", src, "out=" + os.path.join(tmp, "x.npz"), "pth=" + ref,
                            "pth_format=reference", "--quiet"], check=True)
            z = np.load(init)
            sd = torch.load(pth, weights_only=True)["state_dict"]
            rd = torch.load(ref, weights_only=True)["state_dict"]
            assert list(z.keys()) == list(sd.keys()) == list(rd.keys()) and len(sd) == 122, fix
            for j, (n, s, f) in enumerate(lay[:120]):
                want = value(j, s, f, np.int64)
                assert np.array_equal(z[n], want) and z[n].dtype == want.dtype, (fix, n)
                assert np.array_equal(sd[n].numpy(), want) and sd[n].dtype == (torch.float32 if f else torch.int64)
                assert np.array_equal(rd[n].numpy(), want) and (f or rd[n].dtype == cdt), (fix, n, rd[n].dtype)
            assert z["cls_head.fc_cls.weight"].shape == (11, 512) and not z["cls_head.fc_cls.bias"].any()
            assert 0 < z["cls_head.fc_cls.weight"].std() < 0.002  # N(0, 0.001^2)
            assert np.array_equal(sd["cls_head.fc_cls.weight"].numpy(), z["cls_head.fc_cls.weight"])
            # the reference's quirk: entries 120 and 121 (the CtP head's temporal conv) under cls_head
            assert np.array_equal(rd["cls_head.fc_cls.weight"].numpy(), value(120, lay[120][1], True, None))
            assert np.array_equal(rd["cls_head.fc_cls.bias"].numpy(), value(121, lay[121][1], True, None))
            print(fix, "-> init.npz, .pth (fedvssl and reference): all 122 entries as expected")


if __name__ == "__main__":
    check() if "--check" in sys.argv else write_fixtures()
