"""Deterministic test data, bit-identical to tests/detgen.h: the same state and batch are built
in C (tests) and here (goldens), so goldens only need to hold results, not inputs."""
import numpy as np

M64 = (1 << 64) - 1
GOLD = 0x9E3779B97F4A7C15


def _mix(z):
    z = z.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def rng_at(seed, idx):
    """C: rng_at(seed, i) = mix(mix(seed + GOLD) + i * GOLD) (all mod 2^64)."""
    s = _mix(np.array([(seed + GOLD) & M64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return _mix(s + np.asarray(idx, dtype=np.uint64) * np.uint64(GOLD))


def uniform(seed, n):
    """Values in [-1, 1): 2*u - 1 with u = 24-bit uniform, as float64 (exact)."""
    u = (rng_at(seed, np.arange(n, dtype=np.uint64)) >> np.uint64(40)).astype(np.float64) / 16777216.0
    return 2.0 * u - 1.0


def state_value(index, key, shape):
    """Value of state entry `index` (PyTorch order) named `key`."""
    n = int(np.prod(shape)) if len(shape) else 1
    v = uniform(1000 + index, n)
    if key.endswith("num_batches_tracked"):
        return np.array(5, dtype=np.int64)
    if len(shape) == 5:  # conv: uniform with Kaiming fan_out std
        fan_out = float(shape[0] * shape[2] * shape[3] * shape[4])
        a = np.sqrt(3.0) * np.sqrt(2.0 / fan_out)
        out = v * a
    elif len(shape) == 2:  # linear: uniform with std 1/sqrt(fan_in)
        out = v * (1.0 / np.sqrt(float(shape[1])))
    elif key.endswith("running_var"):
        out = 1.0 + 0.25 * (v + 1.0)
    elif key.endswith("running_mean") or key.endswith("bias"):
        out = 0.1 * v
    else:  # BN weight
        out = 1.0 + 0.2 * v
    return out.astype(np.float32).reshape(shape)


def batch(kind, B, T=16, H=112, W=112, classes=101):
    imgs = (uniform(7, B * 3 * T * H * W) * 1.5).astype(np.float32).reshape(B, 3, T, H, W)
    if kind == "ctp":
        u = (uniform(8, B * 3 * T * 4) + 1.0) * 0.5  # [0, 1)
        u = u.reshape(B, 3, T, 4)
        x1 = np.floor(u[..., 0] * (W - 40))
        y1 = np.floor(u[..., 1] * (H - 40))
        x2 = np.minimum(x1 + 4 + np.floor(u[..., 2] * 36), W)
        y2 = np.minimum(y1 + 4 + np.floor(u[..., 3] * 36), H)
        trajs = np.stack([x1, y1, x2, y2], -1).astype(np.float32)
        return {"imgs": imgs, "gt_trajs": trajs}
    u = (uniform(9, B) + 1.0) * 0.5
    return {"imgs": imgs, "labels": np.floor(u * classes).astype(np.int64)}
