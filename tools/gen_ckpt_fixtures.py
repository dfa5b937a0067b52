#!/usr/bin/python3
"""Checkpoint fixtures for tests/test_ckpt.c, and a check of the files our C writers make. Run by hand
with /usr/bin/python3 (NumPy needed; PyTorch for the .pth parts) from the repository root:

    /usr/bin/python3 tools/gen_ckpt_fixtures.py            # writes tests/golden/ckpt/*, then checks
    ./build/tests/test_ckpt --write-golden tests/golden/ckpt  # (re)writes the C-made c_round.npz, c_state.pth, c_state_meta.pth
    /usr/bin/python3 tools/gen_ckpt_fixtures.py --check    # only loads the C-made files and checks them

Python-made fixtures (committed; test_ckpt reads them and compares values):
  flwr_params.npz     the Flower baseline's round checkpoint layout (spec 3.8): np.savez of a flwr
                      Parameters (a stand-in dataclass in a fake module flwr/common/typing.py, so the
                      pickle names flwr.common.typing.Parameters) whose tensors are np.save blobs
  authors_objarr.npz  the authors' release layout: arr_0 = object array of ndarrays and NumPy scalars
  named.npz, named_deflated.npz   np.savez / np.savez_compressed of named arrays
  torch_saved.pth     torch.save({'state_dict': OrderedDict}) (only if PyTorch imports)
  authors_objarr_p4.npz, authors_objarr_np2.npz   the same array pickled with protocol 4, and with
                      NumPy 2's module name numpy._core.multiarray
  hostile_*.npz       arr_0.npy = object-array NPY header + a hostile pickle; each must be refused
Also the seed corpus tests/fuzz/corpus/pickle/ of tests/fuzz/fuzz_pickle.c (raw pickles of the above).
C-made files checked (written by flwr_round_write / pth_write in test_ckpt --write-golden):
  c_round.npz  loaded with np.load(allow_pickle=True)['arr_0'].item() -> Parameters, blobs np.load'ed
  c_state.pth  loaded with torch.load(weights_only=True) -> {'state_dict': OrderedDict}
  c_state_meta.pth  the same with mmcv's meta ({'meta': {'epoch': 3, 'iter': 120}, 'state_dict': ...})
The tensor set (names, shapes, values) is the one test_ckpt.c uses: keep both in step."""
import collections, io, os, pickle, sys, tempfile, zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "golden", "ckpt")


def tensor_set():
    """(name, array) pairs; values are simple formulas of the flat index i (see test_ckpt.c)."""
    def f(shape, fn, dt):
        n = int(np.prod(shape)) if shape else 1
        return np.array([fn(i) for i in range(n)], dtype=dt).reshape(shape)
    return [
        ("backbone.conv1.weight", f((2, 3), lambda i: 0.5 * i - 1, np.float32)),
        ("backbone.bn1.weight", f((4,), lambda i: i * i, np.float32)),
        ("backbone.layer1.0.conv1.weight", f((1, 2, 1, 1, 2), lambda i: i + 0.25, np.float32)),
        ("backbone.bn1.num_batches_tracked", f((), lambda i: 3.0, np.float64)),
        ("counter", f((), lambda i: 7, np.int64)),
        ("head.fc.weight", f((8, 8), lambda i: i / 64, np.float32)),
        ("empty", np.zeros((0,), np.float32)),
    ]


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


def fake_flwr(tmp):
    """A module flwr.common.typing with a Parameters dataclass, as flwr defines it."""
    d = os.path.join(tmp, "flwr", "common")
    os.makedirs(d)
    for p in [os.path.join(tmp, "flwr"), d]:
        open(os.path.join(p, "__init__.py"), "w").close()
    with open(os.path.join(d, "typing.py"), "w") as f:
        f.write("from dataclasses import dataclass\nfrom typing import List\n\n"
                "@dataclass\nclass Parameters:\n    tensors: List[bytes]\n    tensor_type: str\n")
    sys.path.insert(0, tmp)
    from flwr.common.typing import Parameters
    return Parameters


def object_npz(path, pickle_bytes, deflate=False):
    """An npz whose arr_0.npy is a 0-d object array header followed by the given pickle bytes."""
    hdr = "{'descr': '|O', 'fortran_order': False, 'shape': (), }"
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + pickle_bytes
    write_member(path, npy, deflate)


def write_member(path, data, deflate=False):
    """A one-member archive 'arr_0.npy' with a fixed date, so that reruns give the same bytes."""
    zi = zipfile.ZipInfo("arr_0.npy", (1980, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zi, data)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def write_fixtures():
    os.makedirs(OUT, exist_ok=True)
    ts = tensor_set()
    arrays = [a for _, a in ts]
    with tempfile.TemporaryDirectory() as tmp:
        Parameters = fake_flwr(tmp)
        # (a) the baseline: np.savez(path, Parameters) -> 0-d object array (strategy.py does exactly this)
        np.savez(os.path.join(OUT, "flwr_params"), Parameters(tensors=[npy_bytes(a) for a in arrays],
                                                             tensor_type="numpy.ndarray"))
        sys.path.remove(tmp)
    # (b) the authors: object array of ndarrays with NumPy scalars among them
    obj = np.empty(6, dtype=object)
    obj[0], obj[1], obj[2] = arrays[0], arrays[1], np.float64(3.0)
    obj[3], obj[4], obj[5] = np.int64(7), arrays[5], np.array([1.5, -2.0])
    np.savez(os.path.join(OUT, "authors_objarr"), obj)
    # the same pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL) and with NumPy 2's module name
    object_npz(os.path.join(OUT, "authors_objarr_p4.npz"), pickle.dumps(obj, protocol=4))
    p3 = pickle.dumps(obj, protocol=3)
    assert p3.count(b"cnumpy.core.multiarray\n") == 2
    object_npz(os.path.join(OUT, "authors_objarr_np2.npz"),
               p3.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n"))
    # (c) named arrays
    named = {"backbone.conv1.weight": arrays[0], "backbone.bn1.num_batches_tracked": np.int64(7),
             "head.fc.bias": np.array([0.25, -1.0, 2.0]), "idx": np.array([3, -4], dtype=np.int32)}
    np.savez(os.path.join(OUT, "named"), **named)
    np.savez_compressed(os.path.join(OUT, "named_deflated"), **named)
    # hostile pickles
    buf = io.BytesIO()
    np.save(buf, np.array([Evil()], dtype=object), allow_pickle=True)  # a real NumPy pickle carrying posix.system
    write_member(os.path.join(OUT, "hostile_posix_system.npz"), buf.getvalue())
    cmd = b"X\x0a\x00\x00\x00echo pwned\x85"
    object_npz(os.path.join(OUT, "hostile_os_system.npz"), b"\x80\x03cos\nsystem\n" + cmd + b"R.")
    object_npz(os.path.join(OUT, "hostile_eval.npz"), b"\x80\x03cbuiltins\neval\nX\x04\x00\x00\x001+1\x85R.")
    object_npz(os.path.join(OUT, "hostile_stack_global.npz"),
               b"\x80\x04\x8c\x05posix\x8c\x06system\x93" + cmd + b"R.")
    object_npz(os.path.join(OUT, "hostile_reduce_ndarray.npz"), b"\x80\x03cnumpy\nndarray\n)R.")
    object_npz(os.path.join(OUT, "hostile_huge_binbytes.npz"), b"\x80\x03B\xff\xff\xff\x7fabc")
    object_npz(os.path.join(OUT, "hostile_deep.npz"), b"\x80\x03" + b"]" * 10000 + b"a" * 9999 + b".", deflate=True)
    object_npz(os.path.join(OUT, "hostile_memo_get.npz"), b"\x80\x03h\x05.")
    object_npz(os.path.join(OUT, "hostile_inst.npz"), b"\x80\x02(X\x02\x00\x00\x00lsios\nsystem\n.")
    try:
        import torch
    except ImportError:
        print("PyTorch not importable: torch_saved.pth not written")
        return
    sd = collections.OrderedDict((n, torch.from_numpy(a.copy())) for n, a in ts)
    torch.save({"state_dict": sd}, os.path.join(OUT, "torch_saved.pth"))


def write_fuzz_seeds():
    """Seed corpus of tests/fuzz/fuzz_pickle.c: raw pickles taken from the fixtures, and one npz."""
    d = os.path.join(ROOT, "tests", "fuzz", "corpus", "pickle")
    os.makedirs(d, exist_ok=True)
    for name in ["flwr_params.npz", "authors_objarr.npz", "authors_objarr_p4.npz", "c_round.npz"]:
        path = os.path.join(OUT, name)
        if os.path.exists(path):
            with zipfile.ZipFile(path) as z:
                m = z.read("arr_0.npy")
            hl = int.from_bytes(m[8:10], "little")
            open(os.path.join(d, name.replace(".npz", ".pkl")), "wb").write(m[10 + hl:])
    for name in ["torch_saved.pth", "c_state.pth"]:
        path = os.path.join(OUT, name)
        if os.path.exists(path):
            with zipfile.ZipFile(path) as z:
                pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
                open(os.path.join(d, name.replace(".pth", "_data.pkl")), "wb").write(z.read(pkl))
    with open(os.path.join(OUT, "named.npz"), "rb") as f:
        open(os.path.join(d, "named.npz"), "wb").write(f.read())


def check_c_files():
    ok = True
    ts = tensor_set()
    path = os.path.join(OUT, "c_round.npz")
    if not os.path.exists(path):
        print("%s: missing (run ./build/tests/test_ckpt --write-golden tests/golden/ckpt)" % path)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        fake_flwr(tmp)
        p = np.load(path, allow_pickle=True)["arr_0"].item()
        sys.path.remove(tmp)
    got = [np.load(io.BytesIO(b), allow_pickle=False) for b in p.tensors]
    if type(p).__name__ != "Parameters" or p.tensor_type != "numpy.ndarray" or len(got) != len(ts):
        print("%s: not a Parameters of %d tensors" % (path, len(ts)))
        ok = False
    for (n, want), g in zip(ts, got):
        if g.dtype != want.dtype or g.shape != want.shape or not np.array_equal(g, want):
            print("%s: tensor %s: got %s %s, want %s %s" % (path, n, g.dtype, g.shape, want.dtype, want.shape))
            ok = False
    print("%s: %s (%d tensors via np.load(allow_pickle=True)['arr_0'].item())" % (path, "ok" if ok else "BAD", len(got)))
    try:
        import torch
    except ImportError:
        print("PyTorch not importable: c_state.pth not checked")
        return ok
    path = os.path.join(OUT, "c_state.pth")
    d = torch.load(path, weights_only=True)
    sd = d["state_dict"] if isinstance(d, dict) and list(d.keys()) == ["state_dict"] else None
    good = isinstance(sd, collections.OrderedDict) and list(sd.keys()) == [n for n, _ in ts]
    for n, want in ts if good else []:
        t = sd[n]
        wt = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64}[want.dtype.type]
        if t.dtype != wt or tuple(t.shape) != want.shape or not t.is_contiguous() or \
                not np.array_equal(t.numpy(), want):
            print("%s: tensor %s: got %s %s" % (path, n, t.dtype, tuple(t.shape)))
            good = False
    print("%s: %s (torch %s, torch.load(weights_only=True))" % (path, "ok" if good else "BAD", torch.__version__))
    path = os.path.join(OUT, "c_state_meta.pth")  # finetune's epoch_<e>.pth: mmcv's {meta, state_dict}
    d = torch.load(path, weights_only=True)
    good_m = isinstance(d, dict) and list(d.keys()) == ["meta", "state_dict"] and \
        d["meta"] == {"epoch": 3, "iter": 120} and list(d["state_dict"].keys()) == [n for n, _ in ts] and \
        all(np.array_equal(d["state_dict"][n].numpy(), want) for n, want in ts)
    print("%s: %s (torch.load(weights_only=True): meta and state_dict)" % (path, "ok" if good_m else "BAD"))
    return ok and good and good_m


if __name__ == "__main__":
    if "--check" not in sys.argv:
        write_fixtures()
        write_fuzz_seeds()
        print("wrote fixtures into", os.path.normpath(OUT), "and fuzz seeds into tests/fuzz/corpus/pickle")
    sys.exit(0 if check_c_files() else 1)
