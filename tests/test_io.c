/* zip / npz round trips and rejection of damaged files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/io/npy.h"
#include "../src/io/runlog.h"
#include "../src/io/tfevents.h"
#include "check.h"
#include "cmdtest.h"

static unsigned rd16le(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32le(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* An independent reader of TensorBoard event files: TFRecord framing with both CRCs checked, then the Event
 * fields (wall_time 1, step 2, file_version 3, summary 5 > value 1 > tag 1, simple_value 2) decoded from the wire. */
typedef struct {
    char tag[128], version[32];
    int64_t step;
    float value;
    double wall;
} Ev;

static uint64_t varint(const uint8_t **p, const uint8_t *end) {
    uint64_t v = 0;
    for (int sh = 0; *p < end && sh < 64; sh += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) break;
    }
    return v;
}

static int decode(const uint8_t *p, const uint8_t *end, Ev *e, int depth) {
    while (p < end) {
        uint64_t key = varint(&p, end);
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (wire == 0) {
            uint64_t v = varint(&p, end);
            if (depth == 0 && field == 2) e->step = (int64_t)v;
        } else if (wire == 1) {
            if (end - p < 8) return -1;
            if (depth == 0 && field == 1) memcpy(&e->wall, p, 8);
            p += 8;
        } else if (wire == 5) {
            if (end - p < 4) return -1;
            if (depth == 2 && field == 2) memcpy(&e->value, p, 4);
            p += 4;
        } else if (wire == 2) {
            uint64_t n = varint(&p, end);
            if ((uint64_t)(end - p) < n) return -1;
            if (depth == 0 && field == 3) snprintf(e->version, sizeof e->version, "%.*s", (int)n, (const char *)p);
            else if (depth == 2 && field == 1) snprintf(e->tag, sizeof e->tag, "%.*s", (int)n, (const char *)p);
            else if ((depth == 0 && field == 5) || (depth == 1 && field == 1)) {
                if (decode(p, p + n, e, depth + 1)) return -1;
            }
            p += n;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Reads every record of an event file into ev (at most cap); returns the count, -1 on a bad frame or CRC. */
static int read_events(const char *path, Ev *ev, int cap) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int n = 0;
    uint8_t head[12], buf[4096];
    while (fread(head, 1, 12, f) == 12) {
        uint64_t len;
        uint32_t lc, dc;
        memcpy(&len, head, 8), memcpy(&lc, head + 8, 4);
        if (lc != tfrecord_mask(crc32c(0, head, 8)) || len > sizeof buf || fread(buf, 1, len, f) != len ||
            fread(&dc, 1, 4, f) != 4 || dc != tfrecord_mask(crc32c(0, buf, len)) || n == cap) {
            fclose(f);
            return -1;
        }
        memset(&ev[n], 0, sizeof ev[n]);
        if (decode(buf, buf + len, &ev[n], 0)) {
            fclose(f);
            return -1;
        }
        n++;
    }
    fclose(f);
    return n;
}

static const Ev *find_ev(const Ev *ev, int n, const char *tag, int64_t step) {
    for (int i = 0; i < n; i++)
        if (!strcmp(ev[i].tag, tag) && ev[i].step == step) return &ev[i];
    return NULL;
}

static void test_tfevents(const char *dir) {
    /* CRC-32C check value (RFC 3720's "123456789") and TFRecord's mask of it */
    CHECK(crc32c(0, "123456789", 9) == 0xE3069283u, "crc32c check value: %08x", crc32c(0, "123456789", 9));
    CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u, "crc32c continues");
    uint32_t c = 0xE3069283u;
    CHECK(tfrecord_mask(c) == ((c >> 15 | c << 17) + 0xa282ead8u), "mask");
    char err[512], tb[600];
    RunLog r;
    CHECK(runlog_open(&r, dir, "metrics.jsonl", 1, err, sizeof err) == 0 && r.tb, "runlog open: %s", err);
    snprintf(tb, sizeof tb, "%s", r.tb ? tfevents_path(r.tb) : "");
    RunEvent e;
    ev_begin(&e, "train");
    ev_int(&e, "round", 2), ev_int(&e, "client", 3), ev_int(&e, "iter", 10), ev_int(&e, "iters", 40);
    ev_num(&e, "loss", 8.5, -1), ev_num(&e, "lr", 0.01, -1);
    runlog_event(&r, &e);
    ev_begin(&e, "train");
    ev_int(&e, "epoch", 3), ev_int(&e, "iter", 20), ev_int(&e, "iters", 25);
    ev_num(&e, "loss", 1.25, -1), ev_num(&e, "acc", 0.499996, 5);
    runlog_event(&r, &e);
    ev_begin(&e, "round");
    ev_int(&e, "round", 4), ev_num(&e, "loss", 7.75, 3), ev_num(&e, "heldout_loss", 7.5, -1), ev_str(&e, "note", "x\"");
    runlog_event(&r, &e);
    ev_begin(&e, "client_fit");
    ev_int(&e, "round", 4), ev_int(&e, "client", 1), ev_bool(&e, "ok", 1), ev_num(&e, "loss_metric", 0.25, -1);
    runlog_event(&r, &e);
    ev_begin(&e, "epoch");
    ev_int(&e, "epoch", 5), ev_int(&e, "epochs", 9), ev_num(&e, "top1", 0.75, -1);
    runlog_event(&r, &e);
    ev_begin(&e, "continue");
    ev_int(&e, "after_round", 3);
    runlog_event(&r, &e);
    ev_begin(&e, NULL); /* a plain object, as mmcv's log lines */
    ev_str(&e, "mode", "train"), ev_num(&e, "nan", NAN, 3), ev_num(&e, "x", 1.0 / 3, 4), ev_num(&e, "one", 1, -1);
    CHECK(!strcmp(ev_text(&e), "{\"mode\": \"train\", \"nan\": NaN, \"x\": 0.3333, \"one\": 1.0}"), "plain record: %s",
          ev_text(&e));
    ev_free(&e);
    runlog_close(&r);
    Ev ev[32];
    int n = read_events(tb, ev, 32);
    CHECK(n == 9, "event file %s: %d records, CRCs valid (want the version and 8 scalars)", tb, n);
    if (n < 1) return;
    CHECK(!strcmp(ev[0].version, "brain.Event:2") && ev[0].wall > 1.6e9, "first record: file_version %s", ev[0].version);
    static const struct {
        const char *tag;
        int64_t step;
        float v;
    } want[] = {{"client3/train/loss", 50, 8.5f}, {"client3/train/lr", 50, 0.01f}, {"train/loss", 70, 1.25f},
                {"train/acc", 70, 0.5f},          {"round/loss", 4, 7.75f},       {"round/heldout_loss", 4, 7.5f},
                {"client1/loss_metric", 4, 0.25f}, {"epoch/top1", 5, 0.75f}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const Ev *e = find_ev(ev, n, want[i].tag, want[i].step);
        CHECK(e && e->value == want[i].v, "scalar %s at step %lld = %g", want[i].tag, (long long)want[i].step, want[i].v);
    }
    char mp[600];
    snprintf(mp, sizeof mp, "%s/metrics.jsonl", dir);
    FILE *f = fopen(mp, "r");
    int lines = 0, ch;
    while (f && (ch = fgetc(f)) != EOF) lines += ch == '\n';
    if (f) fclose(f);
    CHECK(lines == 6, "metrics.jsonl holds every record: %d lines", lines);
    char *text = slurp(mp);
    CHECK(text && strstr(text, "{\"event\": \"train\", \"epoch\": 3, \"iter\": 20, \"iters\": 25, \"loss\": 1.25, "
                              "\"acc\": 0.5}\n{\"event\": \"round\", \"round\": 4, \"loss\": 7.75, \"heldout_loss\": 7.5, "
                              "\"note\": \"x\\\"\"}\n{\"event\": \"client_fit\", \"round\": 4, \"client\": 1, \"ok\": true, "
                              "\"loss_metric\": 0.25}\n"),
          "metrics.jsonl records as json.dumps writes them:\n%s", text ? text : "");
    free(text);
    unlink(tb), unlink(mp);
    snprintf(mp, sizeof mp, "%s/tf_logs", dir);
    rmdir(mp);
}

int main(void) {
    char dir[] = "/tmp/fedvssl_test_io_XXXXXX", path[256], err[512];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/a.npz", dir);

    float f[6] = {1, -2, 3.5f, 4, 5, 6};
    int64_t i64 = 42, sh[2] = {2, 3};
    NpzWriter w;
    CHECK(npz_writer_open(&w, path) == 0, "open writer");
    npz_writer_add(&w, "x.weight", NPY_F32, 2, sh, f);
    npz_writer_add(&w, "n", NPY_I64, 0, NULL, &i64);
    CHECK(npz_writer_close(&w) == 0, "close writer");

    Npz z;
    CHECK(npz_open(&z, path, err, sizeof err) == 0, "open: %s", err);
    const NpyArray *a = npz_get(&z, "x.weight");
    CHECK(a && a->type == NPY_F32 && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 3, "x.weight header");
    float g[6];
    if (a) npy_to_f32(a, g);
    CHECK(a && !memcmp(f, g, sizeof f), "x.weight data");
    const NpyArray *b = npz_get(&z, "n");
    int64_t v = 0;
    if (b) npy_to_i64(b, &v);
    CHECK(b && b->ndim == 0 && v == 42, "scalar int64");
    CHECK(npz_get(&z, "missing") == NULL, "missing key");
    /* float -> int64 as NumPy's astype(int64) on x86-64: toward zero; NaN and out of range INT64_MIN (a plain
     * cast is undefined: found by fuzz_npy) */
    {
        double dv[6] = {-2.5, 3.99, NAN, 1e300, -9223372036854775808.0, 9223372036854775808.0};
        int64_t want[6] = {-2, 3, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN}, got[6];
        NpyArray fa = {.type = NPY_F64, .ndim = 1, .shape = {6}, .numel = 6, .data = (const uint8_t *)dv, .nbytes = 48};
        npy_to_i64(&fa, got);
        CHECK(!memcmp(got, want, sizeof want), "float64 -> int64: %lld %lld %lld", (long long)got[0], (long long)got[2],
              (long long)got[3]);
    }
    npz_close(&z);

    /* Header strings exactly as np.save writes them. */
    char hdr[256];
    int64_t s5[5] = {64, 3, 3, 7, 7}, s1[1] = {300};
    size_t hl = npy_header(hdr, NPY_F32, 5, s5);
    CHECK(hl == 128 && !memcmp(hdr + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 3, 3, 7, 7), }", 69),
          "5-d header");
    hl = npy_header(hdr, NPY_F64, 1, s1);
    CHECK(hl == 128 && strstr(hdr + 10, "'shape': (300,), }") != NULL && hdr[127] == '\n', "1-d header");

    /* Truncations and flipped bytes must give an error, never a crash. */
    size_t len;
    const char *e;
    uint8_t *buf = read_file(path, &len, &e);
    CHECK(buf != NULL, "read back");
    int rejected = 0, trials = 0;
    for (size_t cut = 0; buf && cut < len; cut += 7) {
        ZipReader zr;
        trials++;
        if (zip_open_mem(&zr, buf, cut, "cut", err, sizeof err)) {
            rejected++;
            continue;
        }
        int ok = 1;
        for (int i = 0; i < zr.n; i++) {
            size_t ml;
            int owned;
            const uint8_t *m = zip_read(&zr, i, &ml, &owned, err, sizeof err);
            if (!m) ok = 0;
            else if (owned) free((void *)m);
        }
        rejected += !ok;
        zip_close(&zr);
    }
    CHECK(rejected == trials, "every truncated archive is rejected (%d of %d)", rejected, trials);
    /* Every byte flipped in turn. Which bytes the reader may ignore is read off the archive's own
     * layout: in local headers, everything but the signature and the name/extra lengths (the central
     * directory is authoritative for method, CRC and sizes) and the name; in central entries the
     * versions, flags, time/date, disk number and attributes; in the end record the disk fields and
     * the comment length. Central names are not checksummed: a flip there must open and read but no
     * longer find the original name. Every other flip (member data, NPY headers, CRCs, sizes, offsets,
     * signatures, counts) must be rejected at open or at read (CRC-32 detects every one-byte error). */
    uint8_t *role = buf ? calloc(len, 1) : NULL; /* 0 checked, 1 ignored, 2 central name */
    int layout_ok = buf != NULL && len > 22;
    size_t o = 0;
    while (layout_ok && o + 30 <= len && rd32le(buf + o) == 0x04034b50) {
        size_t nl = rd16le(buf + o + 26), xl = rd16le(buf + o + 28), dl = rd32le(buf + o + 18);
        memset(role + o + 4, 1, 22); /* version .. uncompressed size */
        memset(role + o + 30, 1, nl);
        o += 30 + nl + xl + dl;
    }
    int members = 0;
    while (layout_ok && o + 46 <= len && rd32le(buf + o) == 0x02014b50) {
        size_t nl = rd16le(buf + o + 28), xl = rd16le(buf + o + 30), cl = rd16le(buf + o + 32);
        memset(role + o + 4, 1, 6);   /* made by, needed, flags */
        memset(role + o + 12, 1, 4);  /* time, date */
        memset(role + o + 34, 1, 8);  /* disk, internal and external attributes */
        memset(role + o + 46, 2, nl);
        o += 46 + nl + xl + cl;
        members++;
    }
    layout_ok = layout_ok && members == 2 && o + 22 == len && rd32le(buf + o) == 0x06054b50;
    CHECK(layout_ok, "archive layout: 2 members, central directory, end record");
    if (layout_ok) {
        memset(role + o + 4, 1, 6);  /* disk numbers, entries on this disk */
        memset(role + o + 20, 1, 2); /* comment length */
    }
    int n_checked = 0, n_caught = 0, n_ignored = 0, n_ignored_ok = 0, n_names = 0, n_names_ok = 0;
    for (size_t k = 0; layout_ok && k < len; k++) {
        uint8_t *c = malloc(len);
        memcpy(c, buf, len);
        c[k] ^= 0x5a;
        ZipReader zr;
        int opened = !zip_open_mem(&zr, c, len, "flip", err, sizeof err), read_all = opened;
        for (int i = 0; opened && i < zr.n; i++) {
            size_t ml;
            int owned;
            const uint8_t *m = zip_read(&zr, i, &ml, &owned, err, sizeof err);
            if (!m) read_all = 0;
            else if (owned) free((void *)m);
        }
        int names_same = opened && zr.n == 2 && zip_find(&zr, "x.weight.npy") == 0 && zip_find(&zr, "n.npy") == 1;
        if (opened) zip_close(&zr);
        if (role[k] == 0) n_checked++, n_caught += !read_all;
        else if (role[k] == 1) n_ignored++, n_ignored_ok += read_all && names_same;
        else n_names++, n_names_ok += read_all && !names_same;
        if (role[k] == 0 && read_all) fprintf(stderr, "flip at byte %zu went undetected\n", k);
        free(c);
    }
    CHECK(n_checked > 200 && n_caught == n_checked, "every flip in checked bytes rejected (%d of %d)", n_caught, n_checked);
    CHECK(n_ignored == 2 * 22 + 12 + 5 + 2 * 18 + 8 && n_ignored_ok == n_ignored,
          "flips in ignored fields read as before (%d of %d)", n_ignored_ok, n_ignored);
    CHECK(n_names == 17 && n_names_ok == n_names, "flips in central names read under another name (%d of %d)",
          n_names_ok, n_names);
    free(role);
    free(buf);
    /* NPY headers with random bytes changed, cut or extended: parsed or refused, never a crash, and a
     * parsed array never claims more data than the blob holds. */
    uint8_t blob[512];
    size_t base = npy_header((char *)blob, NPY_F32, 5, s5);
    memset(blob + base, 0, sizeof blob - base);
    uint64_t st = 88172645463325252ull;
    int parsed = 0, bad_claim = 0;
    for (int it = 0; it < 200000; it++) {
        uint8_t m[512];
        memcpy(m, blob, sizeof m);
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        int flips = 1 + (int)(st % 4);
        for (int f = 0; f < flips; f++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            m[(st >> 8) % base] = (uint8_t)(st >> 32);
        }
        size_t len = (st >> 40) % sizeof m;
        NpyArray a;
        if (!npy_parse(m, len, &a, "fuzz", err, sizeof err)) {
            parsed++;
            if (a.type != NPY_OBJECT && (a.data < m || a.data + a.nbytes > m + len)) bad_claim++;
        }
    }
    CHECK(bad_claim == 0, "mutated NPY headers never claim data past the blob (%d parsed)", parsed);

    CHECK(npz_open(&z, "/nonexistent/x.npz", err, sizeof err) != 0 && strstr(err, "/nonexistent/x.npz"),
          "missing file error names the file: %s", err);
    unlink(path);
    test_tfevents(dir);
    rmdir(dir);
    TEST_END();
}
