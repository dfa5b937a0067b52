/* Checkpoints: the safe pickle VM, reading the three npz layouts (fixtures from
 * tools/gen_ckpt_fixtures.py), the round checkpoint writer against spec §3.8.1 byte by byte, the .pth
 * writer, hostile and damaged inputs. `test_ckpt --write-golden DIR` writes the C-made fixtures
 * (c_round.npz, c_state.pth) that the tools script checks with NumPy and PyTorch. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/core/util.h"
#include "../src/io/ckpt.h"
#include "../src/io/pickle.h"
#include "check.h"

#define GOLD "tests/golden/ckpt/"

/* ---- the tensor set of tools/gen_ckpt_fixtures.py: values are formulas of the flat index ---- */
#define NSET 7
static float v0[6], v1[4], v2[4], v5[64];
static double v3 = 3.0;
static int64_t v4 = 7;
static const int64_t s0[] = {2, 3}, s1[] = {4}, s2[] = {1, 2, 1, 1, 2}, s5[] = {8, 8}, s6[] = {0};
static const TensorRef set[NSET] = {{NPY_F32, 2, s0, v0}, {NPY_F32, 1, s1, v1}, {NPY_F32, 5, s2, v2},
                                    {NPY_F64, 0, NULL, &v3}, {NPY_I64, 0, NULL, &v4}, {NPY_F32, 2, s5, v5},
                                    {NPY_F32, 1, s6, NULL}};
static const char *const names[NSET] = {"backbone.conv1.weight", "backbone.bn1.weight", "backbone.layer1.0.conv1.weight",
                                        "backbone.bn1.num_batches_tracked", "counter", "head.fc.weight", "empty"};
static void set_init(void) {
    for (int i = 0; i < 6; i++) v0[i] = 0.5f * i - 1;
    for (int i = 0; i < 4; i++) v1[i] = (float)(i * i), v2[i] = i + 0.25f;
    for (int i = 0; i < 64; i++) v5[i] = i / 64.0f;
}

static int64_t numel_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}
/* Same type, shape and bytes. */
static int same(const CkptTensor *c, NpyType type, int ndim, const int64_t *shape, const void *data) {
    if (c->type != type || c->ndim != ndim || c->numel != numel_of(ndim, shape)) return 0;
    for (int d = 0; d < ndim; d++)
        if (c->shape[d] != shape[d]) return 0;
    return !c->numel || !memcmp(c->data, data, c->numel * npy_type_size(type));
}
static int same_ref(const CkptTensor *c, const TensorRef *r) { return same(c, r->type, r->ndim, r->shape, r->data); }

static uint8_t *slurp(const char *path, size_t *len) {
    const char *e;
    uint8_t *d = read_file(path, len, &e);
    if (!d) die("%s: %s (run tests from the repository root)", path, e);
    return d;
}

/* A stored one-member zip in memory (what np.savez writes, minus the Zip64 extra field). */
static uint8_t *zip1(const char *name, const uint8_t *data, size_t n, size_t *len) {
    size_t nl = strlen(name);
    uint8_t *z = calloc(1, 30 + nl + n + 46 + nl + 22);
    uint32_t crc = (uint32_t)crc32_z(0, data, n);
#define W16(p, v) ((p)[0] = (uint8_t)(v), (p)[1] = (uint8_t)((v) >> 8))
#define W32(p, v) (W16(p, v), W16((p) + 2, (v) >> 16))
    uint8_t *p = z;
    W32(p, 0x04034b50), W16(p + 4, 20), W32(p + 14, crc), W32(p + 18, n), W32(p + 22, n), W16(p + 26, nl);
    memcpy(p + 30, name, nl), memcpy(p + 30 + nl, data, n);
    p += 30 + nl + n;
    W32(p, 0x02014b50), W16(p + 6, 20), W32(p + 16, crc), W32(p + 20, n), W32(p + 24, n), W16(p + 28, nl);
    memcpy(p + 46, name, nl);
    p += 46 + nl;
    W32(p, 0x06054b50), W16(p + 8, 1), W16(p + 10, 1), W32(p + 12, 46 + nl), W32(p + 16, 30 + nl + n);
    *len = p + 22 - z;
    return z;
}

/* The member bytes of a one-member archive file. */
static uint8_t *member_of(const uint8_t *file, size_t len, const char *name, size_t *mlen) {
    ZipReader z;
    char err[512];
    uint8_t *out = NULL;
    if (zip_open_mem(&z, file, len, "member", err, sizeof err)) return NULL;
    int i = zip_find(&z, name), owned;
    const uint8_t *m = i >= 0 ? zip_read(&z, i, mlen, &owned, err, sizeof err) : NULL;
    if (m) {
        out = malloc(*mlen + 1);
        memcpy(out, m, *mlen);
        if (owned) free((void *)m);
    }
    zip_close(&z);
    return out;
}

/* ---- fixtures made by NumPy / PyTorch ---- */
static void test_fixtures(void) {
    char err[1024];
    CkptList l;
    int rc = ckpt_read(GOLD "flwr_params.npz", &l, err, sizeof err);
    CHECK(rc == 0, "flwr_params: %s", err);
    CHECK(rc || (l.n == NSET && !strcmp(l.format, "flwr Parameters (7 NPY blobs)")), "flwr_params: %d, '%s'", l.n, l.format);
    for (int i = 0; !rc && i < l.n && i < NSET; i++)
        CHECK(same_ref(&l.t[i], &set[i]) && !l.t[i].name, "flwr_params tensor %d", i);
    if (!rc) ckpt_free(&l);

    /* the authors' layout, as np.savez pickles it (protocol 3), with protocol 4, with NumPy 2's names */
    const char *authors[3] = {GOLD "authors_objarr.npz", GOLD "authors_objarr_p4.npz", GOLD "authors_objarr_np2.npz"};
    for (int k = 0; k < 3; k++) {
        rc = ckpt_read(authors[k], &l, err, sizeof err);
        CHECK(rc == 0, "%s: %s", authors[k], err);
        CHECK(rc || (l.n == 6 && !strcmp(l.format, "object array of 6 entries: 4 ndarrays, 2 NumPy scalars (authors' release)")),
              "%s: %d, '%s'", authors[k], l.n, l.format);
        if (!rc && l.n == 6) {
            double d5[2] = {1.5, -2.0};
            int64_t sh2[1] = {2};
            CHECK(same_ref(&l.t[0], &set[0]) && same_ref(&l.t[1], &set[1]) && same_ref(&l.t[4], &set[5]), "ndarrays");
            CHECK(same(&l.t[2], NPY_F64, 0, NULL, &v3) && same(&l.t[3], NPY_I64, 0, NULL, &v4), "NumPy scalars");
            CHECK(same(&l.t[5], NPY_F64, 1, sh2, d5), "f64 vector");
        }
        if (!rc) ckpt_free(&l);
    }

    const char *named[2] = {GOLD "named.npz", GOLD "named_deflated.npz"};
    for (int k = 0; k < 2; k++) {
        rc = ckpt_read(named[k], &l, err, sizeof err);
        CHECK(rc == 0, "%s: %s", named[k], err);
        CHECK(rc || (l.n == 4 && !strcmp(l.format, "npz of 4 named arrays")), "%s: %d '%s'", named[k], l.n, l.format);
        if (!rc && l.n == 4) {
            double b[3] = {0.25, -1.0, 2.0};
            int32_t ix[2] = {3, -4};
            int64_t sh3[1] = {3}, sh2[1] = {2};
            CHECK(!strcmp(l.t[0].name, "backbone.conv1.weight") && same_ref(&l.t[0], &set[0]), "named 0");
            CHECK(!strcmp(l.t[1].name, "backbone.bn1.num_batches_tracked") && same(&l.t[1], NPY_I64, 0, NULL, &v4), "named 1");
            CHECK(!strcmp(l.t[2].name, "head.fc.bias") && same(&l.t[2], NPY_F64, 1, sh3, b), "named 2");
            CHECK(!strcmp(l.t[3].name, "idx") && same(&l.t[3], NPY_I32, 1, sh2, ix), "named 3");
        }
        if (!rc) ckpt_free(&l);
    }

    /* A .pth is not read as a checkpoint, but its data.pkl (real torch.save output, with memo
     * references to globals) goes through the VM: {'state_dict': OrderedDict(name -> tensor)}. */
    rc = ckpt_read(GOLD "torch_saved.pth", &l, err, sizeof err);
    CHECK(rc != 0 && strstr(err, GOLD "torch_saved.pth") && strstr(err, "PyTorch"), "pth refused: %s", err);
    size_t len, plen;
    uint8_t *f = slurp(GOLD "torch_saved.pth", &len);
    uint8_t *pkl = member_of(f, len, "torch_saved/data.pkl", &plen);
    CHECK(pkl != NULL, "torch_saved.pth has torch_saved/data.pkl");
    Pickle pk;
    if (pkl && !pickle_load(&pk, pkl, plen, "data.pkl", err, sizeof err)) {
        int32_t sd = pk_dict_get(&pk, pk.root, "state_dict");
        CHECK(sd >= 0 && pk_node(&pk, sd)->kind == PK_DICT && pk_node(&pk, sd)->sub == 1 && pk_node(&pk, sd)->n == 2 * NSET,
              "state_dict is an OrderedDict of %d", NSET);
        static const PkGlobal st[NSET] = {PG_FLOAT_STORAGE, PG_FLOAT_STORAGE, PG_FLOAT_STORAGE, PG_DOUBLE_STORAGE,
                                          PG_LONG_STORAGE, PG_FLOAT_STORAGE, PG_FLOAT_STORAGE};
        for (int i = 0; sd >= 0 && i < NSET && i < pk_node(&pk, sd)->n / 2; i++) {
            int32_t t = pk_kid(&pk, sd, 2 * i + 1), pid, size;
            int ok = pk_str_is(&pk, pk_kid(&pk, sd, 2 * i), names[i]) && pk_node(&pk, t)->kind == PK_TENSOR;
            ok = ok && pk_node(&pk, pid = pk_kid(&pk, t, 0))->kind == PK_PERSID;
            int32_t tup = ok ? pk_kid(&pk, pid, 0) : 0;
            ok = ok && pk_node(&pk, tup)->n == 5 && pk_str_is(&pk, pk_kid(&pk, tup, 0), "storage") &&
                 pk_node(&pk, pk_kid(&pk, tup, 1))->sub == st[i] && pk_node(&pk, pk_kid(&pk, tup, 4))->u.i == numel_of(set[i].ndim, set[i].shape);
            ok = ok && pk_node(&pk, size = pk_kid(&pk, t, 2))->n == set[i].ndim;
            for (int d = 0; ok && d < set[i].ndim; d++) ok = pk_node(&pk, pk_kid(&pk, size, d))->u.i == set[i].shape[d];
            CHECK(ok, "torch_saved tensor %d (%s)", i, names[i]);
        }
        pickle_free(&pk);
    } else
        CHECK(0, "torch data.pkl: %s", pkl ? err : "missing");
    free(pkl);
    free(f);
}

/* ---- hostile fixtures ---- */
static void test_hostile(void) {
    static const struct {
        const char *file, *words;
    } h[] = {
        {"hostile_os_system.npz", "pickle global 'os.system' is not allowed (only NumPy arrays and flwr Parameters are read)"},
        {"hostile_posix_system.npz", "pickle global 'posix.system' is not allowed"},
        {"hostile_eval.npz", "pickle global 'builtins.eval' is not allowed"},
        {"hostile_stack_global.npz", "pickle global 'posix.system' is not allowed"},
        {"hostile_reduce_ndarray.npz", "REDUCE of 'numpy.ndarray' is not allowed"},
        {"hostile_huge_binbytes.npz", "truncated: BINBYTES at byte 2 needs 2147483647 bytes, 3 left"},
        {"hostile_deep.npz", "nests deeper than 100 levels"},
        {"hostile_memo_get.npz", "memo GET of index 5, which was never stored"},
        {"hostile_inst.npz", "opcode INST (0x69) at byte 10 is not allowed"},
    };
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        char path[256], err[1024] = "", want[512];
        CkptList l;
        snprintf(path, sizeof path, GOLD "%s", h[i].file);
        snprintf(want, sizeof want, "%s: arr_0.npy: ", path);
        int rc = ckpt_read(path, &l, err, sizeof err);
        CHECK(rc != 0 && !strncmp(err, want, strlen(want)) && strstr(err, h[i].words), "%s refused: %s", h[i].file, err);
        CHECK(l.n == 0 && l.t == NULL, "%s: nothing returned", h[i].file);
    }
}

/* ---- the VM on hand-made pickles ---- */
static int vm_rejects(const char *what, const uint8_t *p, size_t n, const char *words) {
    Pickle pk;
    char err[1024] = "";
    if (!pickle_load(&pk, p, n, "t.pkl", err, sizeof err)) {
        pickle_free(&pk);
        fprintf(stderr, "  %s: accepted\n", what);
        return 0;
    }
    if (strncmp(err, "t.pkl: ", 7) || !strstr(err, words)) {
        fprintf(stderr, "  %s: '%s' lacks '%s'\n", what, err, words);
        return 0;
    }
    return 1;
}
#define REJECTS(lit, words) CHECK(vm_rejects(#lit, (const uint8_t *)lit, sizeof(lit) - 1, words), "VM refuses %s", #lit)

static uint8_t *repeat(const char *head, char c, size_t n, const char *tail, size_t *len) {
    size_t hl = strlen(head), tl = strlen(tail);
    uint8_t *b = malloc(hl + n + tl);
    memcpy(b, head, hl), memset(b + hl, c, n), memcpy(b + hl + n, tail, tl);
    *len = hl + n + tl;
    return b;
}

static void test_vm(void) {
    char err[1024];
    Pickle pk;
    /* what a valid pickle gives: ints of every width, floats, strings, memo, containers */
    static const uint8_t ok[] = "\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00"
                                "}\x94(\x8c\x01" "a" "\x94J\xfe\xff\xff\xff" "\x8c\x01" "b" "M\x34\x12" "\x8c\x01" "c"
                                "\x8a\x05\x00\x00\x00\x00\x80" "\x8c\x01" "d" "G\x3f\xf8\x00\x00\x00\x00\x00\x00"
                                "\x8c\x01" "e" "h\x01" "u.";
    int rc = pickle_load(&pk, ok, sizeof ok - 1, "ok.pkl", err, sizeof err);
    CHECK(rc == 0, "valid pickle: %s", err);
    if (!rc) {
        int32_t a = pk_dict_get(&pk, pk.root, "a"), b = pk_dict_get(&pk, pk.root, "b"), c = pk_dict_get(&pk, pk.root, "c"),
                d = pk_dict_get(&pk, pk.root, "d"), e = pk_dict_get(&pk, pk.root, "e");
        CHECK(a >= 0 && pk_node(&pk, a)->u.i == -2, "BININT -2");
        CHECK(b >= 0 && pk_node(&pk, b)->u.i == 0x1234, "BININT2");
        CHECK(c >= 0 && pk_node(&pk, c)->u.i == -((int64_t)1 << 39), "LONG1 5 bytes, negative: %lld",
              c >= 0 ? (long long)pk_node(&pk, c)->u.i : 0);
        CHECK(d >= 0 && pk_node(&pk, d)->kind == PK_FLOAT && pk_node(&pk, d)->u.f == 1.5, "BINFLOAT");
        CHECK(e >= 0 && pk_str_is(&pk, e, "a"), "MEMOIZE / BINGET: memo 1 is 'a'");
        pickle_free(&pk);
    }
    REJECTS("\x80\x03\xff.", "unknown opcode 0xff at byte 2");
    REJECTS("\x80\x06N.", "unsupported pickle protocol 6");
    REJECTS("(X\x02\x00\x00\x00lsios\nsystem\n.", "opcode INST");
    REJECTS("cos\nsystem\n.", "pickle global 'os.system' is not allowed");
    REJECTS("cnumpy\nload\n.", "pickle global 'numpy.load' is not allowed");
    REJECTS("ctorch\nload\n.", "global 'torch.load' is not allowed");
    REJECTS("cos\nsys", "no end of line");
    REJECTS("cnumpy.core.multiarray\n_reconstruct\ncos\nsystem\n", "'os.system' is not allowed");
    REJECTS("cnumpy.core.multiarray\n_reconstruct\nK\x01K\x02K\x03\x87R.", "_reconstruct of something other than numpy.ndarray");
    REJECTS("ctorch\nFloatStorage\n)R.", "REDUCE of 'torch.FloatStorage' is not allowed");
    REJECTS("X\x01\x00\x00\x00x)R.", "REDUCE of a str (not an allowed global)");
    REJECTS("cnumpy\ndtype\nN\x85R.", "numpy.dtype with bad arguments");
    REJECTS("cnumpy\ndtype\n)\x81.", "NEWOBJ of 'numpy.dtype' is not allowed");
    REJECTS("ccollections\nOrderedDict\nN\x85R.", "OrderedDict with arguments");
    REJECTS("cnumpy.core.multiarray\nscalar\nNN\x86R.", "NumPy scalar with bad arguments");
    REJECTS("cflwr.common.typing\nParameters\nN\x85\x81.", "Parameters with constructor arguments");
    REJECTS("cflwr.common.typing\nParameters\n)R.", "REDUCE of 'flwr.common.typing.Parameters' is not allowed");
    REJECTS("K\x01K\x02\x93.", "STACK_GLOBAL of non-strings");
    REJECTS("]}b.", "BUILD of a list");
    REJECTS("cflwr.common.typing\nParameters\n)\x81}b}b.", "BUILD of a Parameters with a dict state is not allowed");
    REJECTS("NNa.", "APPEND(S) to a None");
    REJECTS("}(Nu.", "odd number");
    REJECTS("}]Ns.", "unhashable");
    REJECTS("N(Ns.", "stack underflow");
    REJECTS("t.", "TUPLE without a MARK");
    REJECTS("Ne.", "APPENDS without a MARK");
    REJECTS(".", "stack underflow");
    REJECTS("0", "stack underflow: POP");
    REJECTS("N", "no STOP");
    REJECTS("", "no STOP");
    REJECTS("J\x01\x02", "truncated: BININT at byte 0 needs 4 bytes, 2 left");
    REJECTS("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00.", "integer wider than 64 bits");
    REJECTS("\x8a\x04\x00", "truncated: LONG1");
    REJECTS("X\x05\x00\x00\x00" "abc", "truncated: BINUNICODE");
    REJECTS("\x8e\xff\xff\xff\xff\xff\xff\xff\xff.", "truncated: BINBYTES8");
    REJECTS("\x95\xff\xff\xff\xff\xff\xff\xff\x7fN.", "truncated: FRAME");
    REJECTS("Nr\xff\xff\xff\x7fh\x00.", "memo index 2147483647 out of range");
    REJECTS("Nq\x03.", "memo index 3 out of range");
    REJECTS("Np99\n.", "memo index 99 out of range");
    REJECTS("Npx\n.", "PUT at byte 1: bad index");
    REJECTS("Nq\x00j\x01\x00\x00\x00.", "memo GET of index 1, which was never stored");
    REJECTS("g0\n.", "memo GET of index 0");
    REJECTS("\x94.", "stack underflow");
    /* 200 nested tuples: refused at the 101st level */
    size_t n;
    uint8_t *b = repeat("N", (char)0x85, 200, ".", &n);
    CHECK(vm_rejects("deep tuples", b, n, "nests deeper than 100 levels"), "deep tuples");
    free(b);
    b = repeat("", '(', 300, "N", &n); /* marks alone nest nothing: 300 MARKs then TUPLEs */
    b = realloc(b, n + 301);
    memset(b + n, 't', 300), b[n + 300] = '.';
    CHECK(vm_rejects("deep marks", b, n + 301, "nests deeper than 100 levels"), "deep MARK/TUPLE");
    free(b);
    /* 100 levels are fine */
    b = repeat("N", (char)0x85, 100, ".", &n);
    rc = pickle_load(&pk, b, n, "t", err, sizeof err);
    CHECK(rc == 0 && pk_node(&pk, pk.root)->depth == 100, "100 levels: %s", rc ? err : "");
    if (!rc) pickle_free(&pk);
    free(b);
    /* stack and mark limits */
    b = repeat("", 'N', PK_MAX_STACK + 1, ".", &n);
    CHECK(vm_rejects("stack", b, n, "stack exceeds 1000000 items"), "stack limit");
    free(b);
    b = repeat("", '(', PK_MAX_STACK + 1, "N.", &n);
    CHECK(vm_rejects("marks", b, n, "more than 1000000 open MARKs"), "mark limit");
    free(b);

    /* Memory stays within PK_BYTES_PER_INPUT_BYTE of the input on the densest inputs: one node per
     * byte, one memo entry per byte, wide lists. */
    static const struct {
        const char *head, *unit;
        size_t unit_len;
        const char *tail;
    } dense[] = {{"", "]", 1, "."},       {"", "N", 1, "."},          {"", "(", 1, "N."},
                 {"N", "\x94", 1, "."},   {"]", "Na", 2, "."},         {"N", "Nq\x00", 3, "."},
                 {"]N\x94(", "h\x00", 2, "l."}, {"(", "NN\x86", 3, "l."}, {"(", "C\x00", 2, "l."},
                 {"(", "}", 1, "l."},     {"(", "K\x07", 2, "t."}};
    double worst = 0;
    for (size_t k = 0; k < sizeof dense / sizeof *dense; k++) {
        size_t hl = strlen(dense[k].head), ul = dense[k].unit_len, tl = strlen(dense[k].tail), reps = 400000 / ul;
        uint8_t *d = malloc(hl + reps * ul + tl);
        memcpy(d, dense[k].head, hl);
        for (size_t r = 0; r < reps; r++) memcpy(d + hl + r * ul, dense[k].unit, ul);
        memcpy(d + hl + reps * ul, dense[k].tail, tl);
        size_t len = hl + reps * ul + tl;
        rc = pickle_load(&pk, d, len, "dense", err, sizeof err);
        CHECK(rc == 0, "dense %zu: %s", k, err);
        if (!rc) {
            double r = (double)pk.mem_used / len;
            if (r > worst) worst = r;
            CHECK(pk.mem_used <= len * PK_BYTES_PER_INPUT_BYTE + 65536, "dense %zu: %zu bytes for %zu", k, pk.mem_used, len);
            pickle_free(&pk);
        }
        free(d);
    }
    printf("VM memory on dense inputs: at most %.1f bytes per input byte (bound %d)\n", worst, PK_BYTES_PER_INPUT_BYTE);
}

/* ---- writers ---- */
static void test_round_write(const char *dir) {
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/round-1-weights.array.npz", dir);
    int rc = flwr_round_write(path, set, NSET, err, sizeof err);
    CHECK(rc == 0, "flwr_round_write: %s", err);
    CkptList l;
    rc = ckpt_read(path, &l, err, sizeof err);
    CHECK(rc == 0 && l.n == NSET && !strcmp(l.format, "flwr Parameters (7 NPY blobs)"), "read back: %s", rc ? err : l.format);
    for (int i = 0; !rc && i < l.n && i < NSET; i++) CHECK(same_ref(&l.t[i], &set[i]), "round trip tensor %d", i);
    if (!rc) ckpt_free(&l);

    /* The bytes, against spec §3.8 / §3.8.1. */
    size_t len, ml;
    uint8_t *f = slurp(path, &len);
    CHECK(len > 30 + 9 && !memcmp(f, "PK\x03\x04", 4) && f[8] == 0 && f[9] == 0 && f[26] == 9 && f[27] == 0 && f[28] == 0 &&
              f[29] == 0 && !memcmp(f + 30, "arr_0.npy", 9),
          "local header: stored, name arr_0.npy, no extra field");
    CHECK(f[12] == 0x21 && f[13] == 0 && f[10] == 0 && f[11] == 0, "DOS date 1980-01-01 00:00");
    ZipReader z;
    CHECK(zip_open_mem(&z, f, len, "round", err, sizeof err) == 0 && z.n == 1 && !strcmp(z.e[0].name, "arr_0.npy") &&
              z.e[0].method == 0,
          "one stored member arr_0.npy");
    zip_close(&z);
    uint8_t *m = member_of(f, len, "arr_0.npy", &ml);
    static const char npyhdr[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }";
    CHECK(m && ml > 128 && !memcmp(m, npyhdr, sizeof npyhdr - 1) && m[127] == '\n', "NPY header of a 0-d object array");
    for (size_t i = sizeof npyhdr - 1; m && i < 127; i++) CHECK(m[i] == ' ', "header padding at %zu", i);
    static const uint8_t start[] = {0x80, 0x03, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x2e, 0x63, 0x6f, 0x72, 0x65,
                                    0x2e, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x61, 0x72, 0x72, 0x61, 0x79, 0x0a};
    CHECK(m && !memcmp(m + 128, start, sizeof start), "pickle starts 80 03 'cnumpy.core.multiarray\\n'");
    /* The whole pickle, spelled out from the recipe's opcode list. */
    uint8_t want[4096];
    size_t k = 0;
#define PUT(lit) (memcpy(want + k, lit, sizeof(lit) - 1), k += sizeof(lit) - 1)
    PUT("\x80\x03");
    PUT("cnumpy.core.multiarray\n_reconstruct\n"), PUT("cnumpy\nndarray\n"), PUT("K\x00"), PUT("\x85");
    PUT("C\x01"), PUT("b"), PUT("\x87"), PUT("R");
    PUT("("), PUT("K\x01"), PUT(")"), PUT("cnumpy\ndtype\n"), PUT("X\x02\x00\x00\x00O8"), PUT("\x89"), PUT("\x88");
    PUT("\x87"), PUT("R"), PUT("("), PUT("K\x03"), PUT("X\x01\x00\x00\x00|"), PUT("N"), PUT("N"), PUT("N");
    PUT("J\xff\xff\xff\xff"), PUT("J\xff\xff\xff\xff"), PUT("K\x3f"), PUT("t"), PUT("b"), PUT("\x89"), PUT("]");
    PUT("cflwr.common.typing\nParameters\n"), PUT(")"), PUT("\x81"), PUT("}"), PUT("(");
    PUT("X\x07\x00\x00\x00tensors"), PUT("]"), PUT("(");
    for (int i = 0; i < NSET; i++) {
        char h[256];
        size_t hl = npy_header(h, set[i].type, set[i].ndim, set[i].shape);
        size_t dn = numel_of(set[i].ndim, set[i].shape) * npy_type_size(set[i].type), bl = hl + dn;
        CHECK(hl == 128, "tensor %d: NPY header of 128 bytes", i);
        if (bl < 256) want[k++] = 'C', want[k++] = (uint8_t)bl;
        else want[k++] = 'B', want[k++] = (uint8_t)bl, want[k++] = (uint8_t)(bl >> 8), want[k++] = 0, want[k++] = 0;
        memcpy(want + k, h, hl), k += hl;
        if (dn) memcpy(want + k, set[i].data, dn), k += dn;
    }
    PUT("e"), PUT("X\x0b\x00\x00\x00tensor_type"), PUT("X\x0d\x00\x00\x00numpy.ndarray"), PUT("u"), PUT("b"), PUT("a");
    PUT("t"), PUT("b"), PUT(".");
    CHECK(m && ml == 128 + k && !memcmp(m + 128, want, k), "pickle bytes = the recipe (%zu vs %zu bytes)", ml - 128, k);
    CHECK(k > 900 && want[128 + 170] != 0, "(sanity)");
    free(m);

    /* the same bytes as the committed file that NumPy loaded (tools/gen_ckpt_fixtures.py --check) */
    size_t gl;
    uint8_t *g = slurp(GOLD "c_round.npz", &gl);
    CHECK(gl == len && !memcmp(g, f, len), "identical to " GOLD "c_round.npz");
    free(g);

    /* Damaged copies: truncated anywhere, or bytes flipped (with the CRC left wrong, and with it
     * fixed so that the pickle itself is exercised): parsed or refused with the file named. */
    int cut_refused = 0, cut_total = 0;
    for (size_t c = 0; c < len; c++) {
        rc = ckpt_read_mem(f, c, "cut.npz", &l, err, sizeof err);
        cut_total++;
        if (rc == 0) ckpt_free(&l);
        else cut_refused += !strncmp(err, "cut.npz: ", 9);
    }
    CHECK(cut_refused == cut_total, "every truncation refused, naming the file (%d of %d)", cut_refused, cut_total);
    m = member_of(f, len, "arr_0.npy", &ml);
    int parsed = 0, refused = 0, other = 0;
    for (size_t c = 0; m && c < ml; c++) { /* the member itself cut short, in a valid archive */
        size_t zl;
        uint8_t *zz = zip1("arr_0.npy", m, c, &zl);
        rc = ckpt_read_mem(zz, zl, "cutm.npz", &l, err, sizeof err);
        if (rc == 0) parsed++, ckpt_free(&l);
        else if (!strncmp(err, "cutm.npz: ", 10)) refused++;
        else other++;
        free(zz);
    }
    CHECK(parsed == 0 && other == 0 && refused == (int)ml, "every truncated member refused (%d parsed, %d refused, %d odd)",
          parsed, refused, other);
    uint64_t st = 0x9E3779B97F4A7C15ull;
    parsed = refused = other = 0;
    for (int it = 0; m && it < 30000; it++) {
        uint8_t *c = malloc(ml);
        memcpy(c, m, ml);
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        int flips = 1 + (int)(st % 3);
        for (int j = 0; j < flips; j++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            size_t at = it % 2 ? 128 + (st >> 8) % (ml - 128 < 1400 ? ml - 128 : 1400) : (st >> 8) % ml; /* half in the pickle's structure */
            c[at] = (st >> 40) & 1 ? (uint8_t)(st >> 32) : c[at] ^ (uint8_t)(1u << ((st >> 33) % 8));
        }
        size_t zl;
        uint8_t *zz = zip1("arr_0.npy", c, ml, &zl);
        rc = ckpt_read_mem(zz, zl, "flip.npz", &l, err, sizeof err);
        if (rc == 0) {
            parsed++;
            int sane = l.n <= NSET + 2;
            for (int i = 0; i < l.n; i++) sane = sane && l.t[i].numel * (int64_t)npy_type_size(l.t[i].type) <= (int64_t)ml;
            CHECK(sane, "flipped file parsed into a sane list");
            ckpt_free(&l);
        } else if (!strncmp(err, "flip.npz: ", 10)) refused++;
        else other++, fprintf(stderr, "  unnamed error: %s\n", err);
        free(zz);
        free(c);
    }
    CHECK(other == 0 && parsed + refused == 30000, "byte flips: %d parsed, %d refused, %d bad", parsed, refused, other);
    printf("flipped round files: %d parsed, %d refused\n", parsed, refused);
    /* flips anywhere in the file, CRC not fixed: in the member (at 30 + 9, no extra field) always
     * refused by the CRC (CRC-32 catches every one-byte change) */
    int in_member = 0, crc_refused = 0;
    for (int it = 0; it < 3000; it++) {
        uint8_t *c = malloc(len);
        memcpy(c, f, len);
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        size_t at = (st >> 8) % len;
        c[at] ^= (uint8_t)(1 + (st >> 50) % 255);
        rc = ckpt_read_mem(c, len, "flip.npz", &l, err, sizeof err);
        if (rc == 0) ckpt_free(&l);
        else CHECK(!strncmp(err, "flip.npz: ", 10), "error names the file: %s", err);
        if (at >= 39 && at < 39 + ml) in_member++, crc_refused += rc != 0 && strstr(err, "CRC mismatch") != NULL;
        free(c);
    }
    CHECK(in_member > 2000 && crc_refused == in_member, "flips in the member refused by the CRC (%d of %d)", crc_refused,
          in_member);
    free(m);
    free(f);

    /* A big tensor takes BINBYTES with a multi-byte length; zero tensors is a valid empty list. */
    int64_t bs[2] = {300, 1000};
    float *big = malloc(sizeof(float) * 300000);
    for (int i = 0; i < 300000; i++) big[i] = (float)i * 0.001f;
    TensorRef br[2] = {{NPY_F32, 2, bs, big}, {NPY_I32, 1, s1, (int32_t[]){1, -2, 3, -4}}};
    rc = flwr_round_write(path, br, 2, err, sizeof err);
    CHECK(rc == 0, "big write: %s", err);
    rc = ckpt_read(path, &l, err, sizeof err);
    CHECK(rc == 0 && l.n == 2 && same_ref(&l.t[0], &br[0]) && same_ref(&l.t[1], &br[1]), "big round trip: %s", rc ? err : "");
    if (!rc) ckpt_free(&l);
    free(big);
    rc = flwr_round_write(path, NULL, 0, err, sizeof err);
    CHECK(rc == 0 && ckpt_read(path, &l, err, sizeof err) == 0 && l.n == 0 && !strcmp(l.format, "flwr Parameters (0 NPY blobs)"),
          "empty Parameters: %s", err);
    ckpt_free(&l);

    /* Failures name the file and leave what was there untouched, with no temp file behind. */
    flwr_round_write(path, set, NSET, err, sizeof err);
    size_t before_len;
    uint8_t *before = slurp(path, &before_len);
    TensorRef bad = {NPY_U8, 1, s1, v1};
    rc = flwr_round_write(path, &bad, 1, err, sizeof err);
    CHECK(rc != 0 && strstr(err, path) && strstr(err, "unsupported type"), "u8 refused: %s", err);
    TensorRef bad2 = {NPY_F32, 1, (int64_t[]){-1}, v1};
    rc = flwr_round_write(path, &bad2, 1, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "bad shape"), "negative shape refused: %s", err);
    TensorRef bad3 = {NPY_F32, 1, s1, NULL};
    rc = flwr_round_write(path, &bad3, 1, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "no data"), "NULL data refused: %s", err);
    size_t after_len;
    uint8_t *after = slurp(path, &after_len);
    CHECK(after_len == before_len && !memcmp(before, after, before_len), "old file intact after refused writes");
    free(before);
    free(after);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/no/such/dir/r.npz", dir);
    rc = flwr_round_write(sub, set, NSET, err, sizeof err);
    CHECK(rc != 0 && strstr(err, sub) && strstr(err, "cannot create"), "missing dir: %s", err);
    char dpath[600];
    snprintf(dpath, sizeof dpath, "%s/adir", dir);
    mkdir(dpath, 0700);
    char inner[700];
    snprintf(inner, sizeof inner, "%s/x", dpath);
    FILE *fx = fopen(inner, "w");
    if (fx) fclose(fx);
    rc = flwr_round_write(dpath, set, NSET, err, sizeof err); /* rename over a non-empty directory fails */
    CHECK(rc != 0 && strstr(err, dpath), "rename over a directory refused: %s", err);
    unlink(inner);
    rmdir(dpath);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
    FILE *p = popen(cmd, "r");
    int ntmp = -1;
    if (p && fscanf(p, "%d", &ntmp) != 1) ntmp = -1;
    if (p) pclose(p);
    CHECK(ntmp == 0, "no temp files left (%d)", ntmp);
    unlink(path);
}

static void test_pth_write(const char *dir) {
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/model_pretrained.pth", dir);
    int rc = pth_write(path, names, set, NSET, NULL, err, sizeof err);
    CHECK(rc == 0, "pth_write: %s", err);
    size_t len, gl;
    uint8_t *f = slurp(path, &len), *g = slurp(GOLD "c_state.pth", &gl);
    CHECK(gl == len && !memcmp(f, g, len), "identical to " GOLD "c_state.pth (checked with torch.load)");
    free(g);
    ZipReader z;
    rc = zip_open_mem(&z, f, len, "pth", err, sizeof err);
    CHECK(rc == 0 && z.n == NSET + 3, "pth members: %d", rc ? -1 : z.n);
    static const char *const order[3] = {"archive/data.pkl", "archive/byteorder", "archive/data/0"};
    for (int i = 0; !rc && i < 3; i++) CHECK(!strcmp(z.e[i].name, order[i]), "member %d is %s", i, order[i]);
    CHECK(!rc && !strcmp(z.e[z.n - 1].name, "archive/version"), "last member archive/version");
    for (int i = 0; !rc && i < z.n; i++) { /* data aligned to 64 bytes, as PyTorch writes it */
        const uint8_t *h = f + z.e[i].local_off;
        uint64_t start = z.e[i].local_off + 30 + (h[26] | h[27] << 8) + (h[28] | h[29] << 8);
        CHECK(start % 64 == 0, "member %s data at %llu", z.e[i].name, (unsigned long long)start);
    }
    if (!rc) zip_close(&z);
    size_t ml;
    uint8_t *m = member_of(f, len, "archive/version", &ml);
    CHECK(m && ml == 2 && !memcmp(m, "3\n", 2), "version 3");
    free(m);
    m = member_of(f, len, "archive/byteorder", &ml);
    CHECK(m && ml == 6 && !memcmp(m, "little", 6), "byteorder little");
    free(m);
    for (int i = 0; i < NSET; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "archive/data/%d", i);
        m = member_of(f, len, nm, &ml);
        size_t want = numel_of(set[i].ndim, set[i].shape) * npy_type_size(set[i].type);
        CHECK(m && ml == want && (!want || !memcmp(m, set[i].data, want)), "storage %d bytes", i);
        free(m);
    }
    /* data.pkl through our own VM: the structure torch.load expects */
    m = member_of(f, len, "archive/data.pkl", &ml);
    Pickle pk;
    rc = m ? pickle_load(&pk, m, ml, "data.pkl", err, sizeof err) : -1;
    CHECK(rc == 0, "our data.pkl loads: %s", err);
    if (!rc) {
        int32_t sd = pk_dict_get(&pk, pk.root, "state_dict");
        CHECK(pk_node(&pk, pk.root)->n == 2 && sd >= 0 && pk_node(&pk, sd)->sub == 1 && pk_node(&pk, sd)->n == 2 * NSET,
              "{'state_dict': OrderedDict of %d}", NSET);
        static const PkGlobal st[NSET] = {PG_FLOAT_STORAGE, PG_FLOAT_STORAGE, PG_FLOAT_STORAGE, PG_DOUBLE_STORAGE,
                                          PG_LONG_STORAGE, PG_FLOAT_STORAGE, PG_FLOAT_STORAGE};
        for (int i = 0; sd >= 0 && i < NSET; i++) {
            int32_t t = pk_kid(&pk, sd, 2 * i + 1);
            int ok = pk_str_is(&pk, pk_kid(&pk, sd, 2 * i), names[i]) && pk_node(&pk, t)->kind == PK_TENSOR &&
                     pk_node(&pk, t)->n == 6;
            int32_t tup = ok ? pk_kid(&pk, pk_kid(&pk, t, 0), 0) : 0;
            char key[16];
            snprintf(key, sizeof key, "%d", i);
            ok = ok && pk_node(&pk, tup)->n == 5 && pk_node(&pk, pk_kid(&pk, tup, 1))->sub == st[i] &&
                 pk_str_is(&pk, pk_kid(&pk, tup, 2), key) && pk_str_is(&pk, pk_kid(&pk, tup, 3), "cpu");
            int32_t size = ok ? pk_kid(&pk, t, 2) : 0, stride = ok ? pk_kid(&pk, t, 3) : 0;
            ok = ok && pk_node(&pk, size)->n == set[i].ndim && pk_node(&pk, stride)->n == set[i].ndim;
            int64_t s = 1;
            for (int d = set[i].ndim; ok && d-- > 0;) {
                ok = pk_node(&pk, pk_kid(&pk, size, d))->u.i == set[i].shape[d] && pk_node(&pk, pk_kid(&pk, stride, d))->u.i == s;
                s *= set[i].shape[d];
            }
            CHECK(ok, "pth tensor %d (%s): storage, key, sizes, C strides", i, names[i]);
        }
        pickle_free(&pk);
    }
    free(m);
    /* ckpt_read says what it is */
    CkptList l;
    rc = ckpt_read(path, &l, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "PyTorch checkpoint"), "pth not read as npz: %s", err);
    TensorRef i32 = {NPY_I32, 1, s1, v1};
    rc = pth_write(path, names, &i32, 1, NULL, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "unsupported type"), "pth i32 refused: %s", err);
    const char *nonames[1] = {""};
    rc = pth_write(path, nonames, set, 1, NULL, err, sizeof err);
    CHECK(rc != 0 && strstr(err, "no usable name"), "pth empty name refused: %s", err);
    free(f);
    unlink(path);
    /* with mmcv's meta: {'meta': {'epoch': 3, 'iter': 120}, 'state_dict': ...}, byte for byte the file torch.load
     * was checked on (tools/gen_ckpt_fixtures.py --check) */
    PthMeta meta = {3, 120};
    rc = pth_write(path, names, set, NSET, &meta, err, sizeof err);
    CHECK(rc == 0, "pth_write with meta: %s", err);
    f = slurp(path, &len);
    uint8_t *g2 = slurp(GOLD "c_state_meta.pth", &gl);
    CHECK(f && g2 && gl == len && !memcmp(f, g2, len), "identical to " GOLD "c_state_meta.pth (checked with torch.load)");
    free(g2);
    m = f ? member_of(f, len, "archive/data.pkl", &ml) : NULL;
    rc = m ? pickle_load(&pk, m, ml, "data.pkl", err, sizeof err) : -1;
    CHECK(rc == 0, "data.pkl with meta loads: %s", err);
    if (!rc) {
        int32_t md = pk_dict_get(&pk, pk.root, "meta"), sd = pk_dict_get(&pk, pk.root, "state_dict");
        int32_t e = md >= 0 ? pk_dict_get(&pk, md, "epoch") : -1, it = md >= 0 ? pk_dict_get(&pk, md, "iter") : -1;
        CHECK(pk_node(&pk, pk.root)->n == 4 && sd >= 0 && pk_node(&pk, sd)->n == 2 * NSET && e >= 0 && it >= 0 &&
                  pk_node(&pk, e)->u.i == 3 && pk_node(&pk, it)->u.i == 120,
              "{'meta': {'epoch': 3, 'iter': 120}, 'state_dict': OrderedDict of %d}", NSET);
        pickle_free(&pk);
    }
    free(m), free(f);
    unlink(path);
}

int main(int argc, char **argv) {
    set_init();
    char err[1024];
    if (argc == 3 && !strcmp(argv[1], "--write-golden")) {
        char p1[600], p2[600], p3[600];
        snprintf(p1, sizeof p1, "%s/c_round.npz", argv[2]);
        snprintf(p2, sizeof p2, "%s/c_state.pth", argv[2]);
        snprintf(p3, sizeof p3, "%s/c_state_meta.pth", argv[2]);
        PthMeta meta = {3, 120};
        if (flwr_round_write(p1, set, NSET, err, sizeof err) || pth_write(p2, names, set, NSET, NULL, err, sizeof err) ||
            pth_write(p3, names, set, NSET, &meta, err, sizeof err))
            die("%s", err);
        printf("wrote %s, %s and %s\n", p1, p2, p3);
        return 0;
    }
    char dir[] = "/tmp/fedvssl_test_ckpt_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    test_fixtures();
    test_hostile();
    test_vm();
    test_round_write(dir);
    test_pth_write(dir);
    CkptList l;
    CHECK(ckpt_read("/nonexistent/x.npz", &l, err, sizeof err) != 0 && strstr(err, "/nonexistent/x.npz"), "missing: %s", err);
    CHECK(ckpt_read(GOLD, &l, err, sizeof err) != 0 && strstr(err, GOLD), "directory: %s", err);
    rmdir(dir);
    TEST_END();
}
