#!/usr/bin/python3
"""Writes the CPython goldens for tests/test_data_partition.c (run by hand with /usr/bin/python3; outputs are
committed under tests/golden/data/). Uses CPython's own random and json modules: they are the reference."""
import json, os, random, sys, zlib

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "data")
os.makedirs(out, exist_ok=True)

# 1. raw generator streams
with open(os.path.join(out, "pyrandom.txt"), "w") as f:
    for seed in [0, 1, 7, 1234, 4321, 2**32 - 1, 2**32, 2**40 + 5, -3, 2**63 - 1]:
        random.seed(seed)
        u = [random.getrandbits(32) for _ in range(700)]  # crosses one twist (624 words)
        f.write("seed %d u32 %s\n" % (seed, " ".join(str(x) for x in u[:5] + u[620:630] + u[-3:])))
        random.seed(seed)
        f.write("seed %d bits %s\n" % (seed, " ".join(str(random.getrandbits(k)) for k in [1, 5, 31, 32, 33, 47, 64])))
        random.seed(seed)
        f.write("seed %d below %s\n" % (seed, " ".join(str(random._inst._randbelow(n)) for n in [1, 2, 3, 7, 100, 2**31 + 1, 10**12])))
        random.seed(seed)
        f.write("seed %d random %s\n" % (seed, " ".join(repr(random.random()) for _ in range(3))))

# 2. UCF IID partition, as data_partitioning_ucf.py does it, on a made-up list (names need escaping too).
def ucf_list(n):
    names = ["Class%d/v_Class%d_g%02d_c%02d" % (i % 7, i % 7, i // 7 + 1, i % 4 + 1) for i in range(n)]
    if n > 3: names[3] = "Caf\u00e9/v_\"quote\"\\back\u20ac_\U0001F600"
    return [{"name": s, "label": i % 7 + 1} for i, s in enumerate(names)]

for n, clients, seed in [(103, 5, 7), (17, 3, 12345), (2, 4, 7)]:
    d = os.path.join(out, "ucf_n%d_c%d_s%d" % (n, clients, seed))
    os.makedirs(d, exist_ok=True)
    data = ucf_list(n)
    with open(os.path.join(d, "train_split_1.json"), "w") as f:
        json.dump(data, f, indent=2)
    random.seed(seed)
    random.shuffle(data)
    for i in range(clients):
        part = data[int(i * n / clients): int((i + 1) * n / clients)]
        with open(os.path.join(d, "client_dist%d.json" % (i + 1)), "w") as f:
            json.dump(part, f, indent=2)

# 3. K400 non-IID partition, as data_partitioning_k400.py does it; the input list comes from a formula
#    the C test repeats; only the CRC-32 and length of each client file are stored.
def k400_count(c):
    return (c * 37) % 13

lines = []
for k in range(13):
    for c in range(1, 401):
        if k < k400_count(c):
            lines.append("vid_%d_%d %d" % (c, k, c))
lnd = {i: [] for i in range(1, 401)}
for line in lines:
    lnd[int(line.split(" ")[1])].append(line.split(" ")[0])
llist = sorted([(i, len(lnd[i])) for i in range(1, 401)], key=lambda e: e[1])
with open(os.path.join(out, "k400_crc.txt"), "w") as f:
    files = {}
    for i in range(50):
        l1, l2 = [], []
        p1, p2 = llist[i:i + 4], llist[-i - 5:-i - 1]
        for j in range(4):
            a, na = p1[j]
            b, nb = p2[j]
            random.seed(1234); random.shuffle(lnd[a])
            random.seed(4321); random.shuffle(lnd[b])
            for e in lnd[a][: na // 2]: l1.append({"name": e, "label": int(a)})
            for e in lnd[b][: nb // 2]: l1.append({"name": e, "label": int(b)})
            for e in lnd[a][na // 2:]: l2.append({"name": e, "label": int(a)})
            for e in lnd[b][nb // 2:]: l2.append({"name": e, "label": int(b)})
        files[i + 1] = json.dumps(l1, indent=2).encode()
        files[i + 51] = json.dumps(l2, indent=2).encode()
    for c in range(1, 101):
        f.write("client_dist%d.json %d %d\n" % (c, zlib.crc32(files[c]), len(files[c])))
print("goldens written to", out)
