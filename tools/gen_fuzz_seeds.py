#!/usr/bin/python3
"""Seed corpora of the fuzzers in tests/fuzz/ (committed under tests/fuzz/corpus/<harness>/). Run by hand with
/usr/bin/python3 (Debian python3-numpy, python3-pil) from the repository root:

    /usr/bin/python3 tools/gen_fuzz_seeds.py

  npy/        np.save output of every dtype the reader takes (and some it refuses), NPY 1.0 and 2.0 headers
  ckpt/       the checkpoint fixtures of tests/golden/ckpt/ (every format ckpt_read meets, hostile ones too)
  npz/        small npz archives (stored and deflated members)
  overrides/  command lines for fuzz_overrides: byte 0 picks the table ('0' pretrain, '1' finetune), then one
              word per line
  framepack/  frame packs as CtP lays them out (zips of img_%05d.jpg, stored), of tiny JPEGs (baseline,
              progressive, greyscale, 4:4:4, restart markers, odd sizes), behind fuzz_framepack's two option bytes
  jpeg/       single frames behind fuzz_jpeg's eight option bytes
  annotations/ annotation lists (JSON as the partition files, "name label" text)
"""
import io
import os
import shutil
import zipfile

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def out(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version:
        np.lib.format.write_array(b, a, version=version, allow_pickle=True)
    else:
        np.save(b, a, allow_pickle=True)
    return b.getvalue()


def npy_seeds():
    r = np.random.default_rng(1)
    out("npy", "f4_2x3.npy", npy_bytes(r.standard_normal((2, 3)).astype("<f4")))
    out("npy", "f8_scalar.npy", npy_bytes(np.float64(1.5)))
    out("npy", "i8_vec.npy", npy_bytes(np.arange(5, dtype="<i8")))
    out("npy", "i4_3d.npy", npy_bytes(np.arange(24, dtype="<i4").reshape(2, 3, 4)))
    out("npy", "u1.npy", npy_bytes(np.arange(7, dtype="u1")))
    out("npy", "bool.npy", npy_bytes(np.array([True, False, True])))
    out("npy", "empty_0x3.npy", npy_bytes(np.zeros((0, 3), "<f4")))
    out("npy", "f4_5d.npy", npy_bytes(np.zeros((1, 2, 1, 1, 2), "<f4")))
    out("npy", "fortran_1d.npy", npy_bytes(np.asfortranarray(np.arange(3, dtype="<f8"))))
    out("npy", "fortran_2d.npy", npy_bytes(np.asfortranarray(np.ones((2, 2), "<f4"))))
    out("npy", "big_endian.npy", npy_bytes(np.arange(3, dtype=">f4")))
    out("npy", "v2_header.npy", npy_bytes(np.arange(4, dtype="<f4"), version=(2, 0)))
    out("npy", "object.npy", npy_bytes(np.array([np.zeros(2, "<f4"), np.int64(3)], dtype=object)))
    out("npy", "truncated.npy", npy_bytes(np.arange(16, dtype="<f8"))[:-9])


def ckpt_seeds():
    g = os.path.join(ROOT, "tests", "golden", "ckpt")
    for n in sorted(os.listdir(g)):
        shutil.copy(os.path.join(g, n), os.path.join(CORPUS, "ckpt", n))


def npz_seeds():
    b = io.BytesIO()
    np.savez(b, a=np.arange(6, dtype="<f4").reshape(2, 3), n=np.int64(42))
    out("npz", "stored.npz", b.getvalue())
    b = io.BytesIO()
    np.savez_compressed(b, w=np.zeros((4, 4), "<f4"), idx=np.array([3, -4], "<i4"))
    out("npz", "deflated.npz", b.getvalue())


def overrides_seeds():
    out("overrides", "pretrain_keys.txt",
        b"0rounds=3\nstrategy.mix_coeff=0.5\n--data.batch\n8\n--quiet\n--strategy.fedavg=no\ntransport=mpi\n")
    out("overrides", "pretrain_odd.txt",
        b"0--seed=007\nout=it's \"here\"\nresume=~\nfault.kind=slow\nfault.seconds=1e-3\n--\npositional\n")
    out("overrides", "finetune_lists.txt", b"1lr_steps=[10,20.5,30]\nlr_steps=5,6\ngamma=1\ndropout=0.999\n")
    out("overrides", "finetune_help.txt", b"1epochs=x\n--help\n")
    out("overrides", "errors.txt", b"0rounds=-1\n--roundz=1\n-x\n")


def jpeg(img, **kw):
    b = io.BytesIO()
    img.save(b, "JPEG", **kw)
    return b.getvalue()


def frames():
    r = np.random.default_rng(7)
    yy, xx = np.mgrid[0:30, 0:40]
    base = np.stack([xx * 6, yy * 8, (xx + yy) * 3], -1).astype(np.uint8)
    noisy = np.clip(base + r.integers(0, 40, base.shape), 0, 255).astype(np.uint8)
    return {
        "baseline": jpeg(Image.fromarray(base), quality=90),
        "noisy444": jpeg(Image.fromarray(noisy), quality=75, subsampling=0),
        "progressive": jpeg(Image.fromarray(noisy[:24, :33]), quality=80, progressive=True),
        "grey": jpeg(Image.fromarray(base[:16, :16, 0]), quality=60),
        "restart": jpeg(Image.fromarray(base), quality=50, restart_marker_blocks=1),
        "tall": jpeg(Image.fromarray(np.ascontiguousarray(noisy[:, :9])), quality=85),
    }


def pack(named_frames):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for n, d in named_frames:
            z.writestr(n, d)
    return b.getvalue()


def framepack_seeds():
    f = frames()
    # byte 0: bits 0-2 pipeline (0 test, 1-3 fine-tune, 4-7 CtP), 3 fast_decode, 4 all_rows, 5 fast_idct,
    # 6 fix CRCs, 7 112x112 clips (else 32x32); byte 1: epoch / position
    packs = {
        "ctp_3frames": (0x44, pack([("img_%05d.jpg" % (i + 1), f["baseline"]) for i in range(3)])),
        "ctp_mixed_fast": (0x4d, pack([("img_00001.jpg", f["noisy444"]), ("img_00002.jpg", f["progressive"]),
                                       ("img_00003.jpg", f["restart"])])),
        "finetune_grey": (0x41, pack([("img_00001.jpg", f["grey"]), ("img_00002.jpg", f["grey"])])),
        "finetune_tall_allrows": (0x52, pack([("img_00001.jpg", f["tall"])])),
        "test_2frames_idct": (0x60, pack([("img_00001.jpg", f["baseline"]), ("img_00002.jpg", f["progressive"])])),
        "out_of_order": (0x45, pack([("img_00002.jpg", f["noisy444"]), ("img_00001.jpg", f["baseline"]),
                                     ("readme.txt", b"not a frame")])),
        "crc_kept": (0x05, pack([("img_00001.jpg", f["baseline"])])),
    }
    for name in ["ctp_3frames", "finetune_tall_allrows", "test_2frames_idct"]:  # the same at the reference's size
        b0, data = packs[name]
        packs[name + "_112"] = (b0 | 0x80, data)
    for i, (name, (b0, data)) in enumerate(packs.items()):
        out("framepack", name + ".bin", bytes([b0, 0x13 * i & 255]) + data)


def jpeg_seeds():
    for i, (name, d) in enumerate(frames().items()):
        out("jpeg", name + ".bin", bytes([40, 30, 3, 2, 20, 15, i & 1, i >> 1 & 1]) + d)


def annotation_seeds():
    src = os.path.join(ROOT, "tests", "golden", "data", "ucf_n2_c4_s7", "train_split_1.json")
    shutil.copy(src, os.path.join(CORPUS, "annotations", "ucf_train.json"))
    out("annotations", "list.txt", b"ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01 1\r\nBoxing/v_Boxing_g01_c02  4\n\n")
    out("annotations", "escapes.json", b'[{"name": "a\\/b\\u00e9\\ud83d\\ude00", "label": 3, "x": [1, {"y": null}]}]')


if __name__ == "__main__":
    for h in ["npy", "ckpt", "npz", "overrides", "framepack", "jpeg", "annotations"]:
        os.makedirs(os.path.join(CORPUS, h), exist_ok=True)
    npy_seeds()
    ckpt_seeds()
    npz_seeds()
    overrides_seeds()
    framepack_seeds()
    jpeg_seeds()
    annotation_seeds()
    print("wrote seeds into", os.path.normpath(CORPUS))
