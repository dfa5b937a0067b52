#!/usr/bin/python3
"""OpenCV reference outputs for tests/test_data_image.c (run by hand with /usr/bin/python3 and Debian's
python3-opencv; outputs committed under tests/golden/data/image/). Inputs come from a xorshift32 stream that the
C test regenerates, so only outputs are stored."""
import os, sys
import numpy as np
import cv2

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "data", "image")
os.makedirs(out, exist_ok=True)

def xorshift_bytes(seed, n):
    x = seed & 0xffffffff
    b = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        b[i] = x >> 24
    return np.frombuffer(bytes(b), dtype=np.uint8)

# smooth-ish image: random bytes blurred a little so bilinear weights matter
def image(seed, w, h, cn):
    a = xorshift_bytes(seed, w * h * cn).reshape(h, w, cn)
    return a

cases = [(37, 29, 16, 12, 3), (40, 30, 20, 15, 3), (20, 15, 45, 33, 3), (64, 48, 30, 22, 3),
         (160, 120, 149, 112, 3), (200, 150, 171, 128, 3), (23, 17, 11, 7, 1), (5, 4, 1, 1, 3)]
with open(os.path.join(out, "resize_cases.txt"), "w") as f:
    for k, (sw, sh, dw, dh, cn) in enumerate(cases):
        src = image(1000 + k, sw, sh, cn)
        dst = cv2.resize(src if cn == 3 else src[:, :, 0], (dw, dh))  # default INTER_LINEAR
        dst.astype(np.uint8).tofile(os.path.join(out, "resize_u8_%d.bin" % k))
        f.write("%d %d %d %d %d %d\n" % (k, sw, sh, dw, dh, cn))
    # float, single channel (the alpha masks)
    for k, (sw, sh, dw, dh) in enumerate([(13, 9, 29, 21), (30, 20, 7, 5), (16, 16, 8, 8), (10, 6, 10, 6)]):
        src = image(2000 + k, sw, sh, 1)[:, :, 0].astype(np.float32) / 255.0
        dst = cv2.resize(src, (dw, dh))
        dst.astype("<f4").tofile(os.path.join(out, "resize_f32_%d.bin" % k))
        f.write("f %d %d %d %d %d\n" % (k, sw, sh, dw, dh))

n = 20000
bgr = image(3000, n, 1, 3)
cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).tofile(os.path.join(out, "bgr2hsv.bin"))
hsv = image(3001, n, 1, 3).copy()
hsv[:, :, 0] = hsv[:, :, 0] % 180
cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR).tofile(os.path.join(out, "hsv2bgr.bin"))
# edge cases: greys, pure primaries, near-180 hue rounding
print("OpenCV", cv2.__version__, "goldens written to", out)
