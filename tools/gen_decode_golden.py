#!/usr/bin/python3
"""OpenCV reference for the loader's default frame pipeline (spec §2.1.3-4a, §5): cv2.imdecode (IMREAD_COLOR, BGR)
of 320x240 JPEG frames, then cv2.resize (INTER_LINEAR) to the three training scales 149x112, 171x128, 192x144.
Checked by tests/test_data_decode.c. Run by hand with /usr/bin/python3 (Debian python3-opencv), from the repository
root, after `make`:

    /usr/bin/python3 tools/gen_decode_golden.py [--fedvssl build/fedvssl] [out dir]

Writes (committed) tests/golden/data/decode/:
  frame_a.jpg   a synthetic picture (gradients, shapes, text, fine texture) encoded by cv2.imencode (quality 95, 4:2:0)
  frame_b.jpg   frame 5 of a video made by `fedvssl synth` and JPEG-encoded by `fedvssl prepare` (libjpeg-turbo)
  decode.npz    f.dec_row_crc [240]: zlib CRC-32 of each row of cv2.imdecode's [240,320,3] BGR image (a check that
                the decode is bit-identical, small), and f.<W>x<H> = cv2.resize of it (uint8): all three scales for
                frame a, 171x128 (the test-time scale) for frame b -- about 230 KB in all
"""
import os
import subprocess
import sys
import tempfile
import zipfile
import zlib

import cv2
import numpy as np

args = sys.argv[1:]
fedvssl = "build/fedvssl"
if args[:1] == ["--fedvssl"]:
    fedvssl, args = args[1], args[2:]
out = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "data", "decode")
os.makedirs(out, exist_ok=True)
SIZES = [(149, 112), (171, 128), (192, 144)]


def picture(w=320, h=240, seed=11):
    """Camera-like content: smooth colour gradients, hard-edged shapes, thin lines, text and a fine texture, so
    that both the IDCT/upsampling (edges, chroma) and the bilinear weights (gradients) matter."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([90 + 80 * np.sin(x / 37.0) * np.cos(y / 23.0), 60 + 0.5 * x, 200 - 0.6 * y], -1)
    tex = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    img += 18 * tex[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    cv2.circle(img, (220, 90), 45, (30, 200, 240), -1)
    cv2.rectangle(img, (40, 150), (130, 215), (200, 40, 60), -1)
    cv2.ellipse(img, (250, 190), (50, 20), 25, 0, 360, (240, 240, 240), 3)
    for k in range(12):
        cv2.line(img, (5 + 9 * k, 5), (60 + 13 * k, 120), (int(20 * k), 255 - int(20 * k), 128), 1)
    cv2.putText(img, "FedVSSL 2024", (95, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (10, 10, 10), 2, cv2.LINE_AA)
    return img


ok, enc = cv2.imencode(".jpg", picture())
assert ok
jpgs = {"a": enc.tobytes()}
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([fedvssl, "synth", "--out", f"{tmp}/raw", "--classes", "1", "--videos-per-class", "1",
                    "--frames", "8", "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([fedvssl, "prepare", "--src", f"{tmp}/raw", "--out", f"{tmp}/data", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    packs = [os.path.join(r, f) for r, _, fs in os.walk(f"{tmp}/data/zips") for f in fs if f.endswith(".zip")]
    with zipfile.ZipFile(packs[0]) as z:
        jpgs["b"] = z.read("img_00005.jpg")

arrays = {}
for name, data in jpgs.items():
    with open(os.path.join(out, f"frame_{name}.jpg"), "wb") as f:
        f.write(data)
    dec = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert dec.shape == (240, 320, 3), dec.shape
    arrays[f"{name}.dec_row_crc"] = np.array([zlib.crc32(dec[y].tobytes()) for y in range(240)], dtype=np.int64)
    for w, h in SIZES if name == "a" else [(171, 128)]:
        arrays[f"{name}.{w}x{h}"] = cv2.resize(dec, (w, h))
np.savez_compressed(os.path.join(out, "decode.npz"), **arrays)
print("OpenCV", cv2.__version__, "frames", {k: len(v) for k, v in jpgs.items()}, "bytes; written to", out)
