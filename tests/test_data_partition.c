/* CPython-identical random streams and partition files (goldens from tools/gen_partition_golden.py), and
 * robustness of the annotation readers against damaged input. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/data/partition.h"
#include "../src/data/pyrandom.h"
#include "check.h"

#define GOLDEN "tests/golden/data"

static char *slurp(const char *path, size_t *len) {
    const char *e;
    uint8_t *b = read_file(path, len, &e);
    CHECK(b != NULL, "read %s: %s", path, b ? "" : e);
    return (char *)b;
}

static void test_streams(void) {
    size_t len;
    char *txt = slurp(GOLDEN "/pyrandom.txt", &len);
    if (!txt) return;
    int lines = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        long long seed;
        char kind[16];
        int off;
        if (sscanf(line, "seed %lld %15s %n", &seed, kind, &off) != 2) continue;
        char *p = line + off;
        PyRandom r;
        pyrandom_seed(&r, seed);
        lines++;
        if (!strcmp(kind, "u32")) {
            uint32_t u[700];
            for (int i = 0; i < 700; i++) u[i] = pyrandom_u32(&r);
            int pick[] = {0, 1, 2, 3, 4, 620, 621, 622, 623, 624, 625, 626, 627, 628, 629, 697, 698, 699};
            for (int k = 0; k < 18; k++) {
                unsigned long long want = strtoull(p, &p, 10);
                CHECK(u[pick[k]] == want, "seed %lld u32[%d] = %u, CPython %llu", seed, pick[k], u[pick[k]], want);
            }
        } else if (!strcmp(kind, "bits")) {
            int ks[] = {1, 5, 31, 32, 33, 47, 64};
            for (int k = 0; k < 7; k++) {
                unsigned long long want = strtoull(p, &p, 10), got = pyrandom_getrandbits(&r, ks[k]);
                CHECK(got == want, "seed %lld getrandbits(%d) = %llu, CPython %llu", seed, ks[k], got, want);
            }
        } else if (!strcmp(kind, "below")) {
            uint64_t ns[] = {1, 2, 3, 7, 100, (1ull << 31) + 1, 1000000000000ull};
            for (int k = 0; k < 7; k++) {
                unsigned long long want = strtoull(p, &p, 10), got = pyrandom_randbelow(&r, ns[k]);
                CHECK(got == want, "seed %lld randbelow(%llu) = %llu, CPython %llu", seed,
                      (unsigned long long)ns[k], got, want);
            }
        } else if (!strcmp(kind, "random")) {
            for (int k = 0; k < 3; k++) {
                double want = strtod(p, &p), got = pyrandom_random(&r);
                CHECK(got == want, "seed %lld random() = %.17g, CPython %.17g", seed, got, want);
            }
        }
    }
    CHECK(lines == 40, "golden lines read: %d", lines);
    free(txt);
}

static void test_ucf(int n, int clients, int seed) {
    char dir[256], path[320], err[512];
    snprintf(dir, sizeof dir, GOLDEN "/ucf_n%d_c%d_s%d", n, clients, seed);
    snprintf(path, sizeof path, "%s/train_split_1.json", dir);
    AnnList list;
    CHECK(ann_load_json(path, &list, err, sizeof err) == 0, "load: %s", err);
    CHECK(list.n == n, "%s: %d entries", path, list.n);
    /* our writer reproduces Python's bytes for the input too (escapes, surrogate pairs) */
    size_t glen, olen;
    char *g = slurp(path, &glen), *o = ann_to_json(list.e, list.n, &olen);
    CHECK(g && olen == glen && !memcmp(g, o, glen), "%s: json.dump bytes differ", path);
    free(g), free(o);
    AnnList *cl = xcalloc((size_t)clients, sizeof *cl);
    partition_iid(&list, clients, seed, cl);
    for (int c = 0; c < clients; c++) {
        snprintf(path, sizeof path, "%s/client_dist%d.json", dir, c + 1);
        g = slurp(path, &glen);
        o = ann_to_json(cl[c].e, cl[c].n, &olen);
        CHECK(g && olen == glen && !memcmp(g, o, glen), "%s differs from CPython's", path);
        free(g), free(o);
        ann_free(&cl[c]);
    }
    free(cl);
    ann_free(&list);
}

static void test_k400(void) {
    AnnList list = {0};
    char name[64], err[256];
    for (int k = 0; k < 13; k++)
        for (int c = 1; c <= 400; c++)
            if (k < (c * 37) % 13) {
                snprintf(name, sizeof name, "vid_%d_%d", c, k);
                ann_push(&list, name, c);
            }
    AnnList *cl = xcalloc(K400_CLIENTS, sizeof *cl);
    CHECK(partition_k400_noniid(&list, cl, err, sizeof err) == 0, "k400: %s", err);
    size_t glen;
    char *g = slurp(GOLDEN "/k400_crc.txt", &glen), *p = g;
    for (int c = 0; g && c < K400_CLIENTS; c++) {
        int id;
        unsigned long crc, len;
        int off;
        CHECK(sscanf(p, "client_dist%d.json %lu %lu\n%n", &id, &crc, &len, &off) == 3 && id == c + 1, "golden line");
        p += off;
        size_t olen;
        char *o = ann_to_json(cl[c].e, cl[c].n, &olen);
        unsigned long oc = crc32(0, (const Bytef *)o, (uInt)olen);
        CHECK(oc == crc && olen == len, "k400 client_dist%d.json: crc %lu len %zu, CPython crc %lu len %lu", c + 1, oc,
              olen, crc, len);
        free(o);
        ann_free(&cl[c]);
    }
    free(g);
    ann_push(&list, "bad", 401);
    CHECK(partition_k400_noniid(&list, cl, err, sizeof err) != 0 && strstr(err, "bad"), "label 401 rejected: %s", err);
    free(cl);
    ann_free(&list);
}

/* Damaged files: every truncation and many random byte changes give an error or a valid list, never a crash. */
static void test_fuzz(void) {
    size_t len;
    char *g = slurp(GOLDEN "/ucf_n17_c3_s12345/train_split_1.json", &len), err[512];
    if (!g) return;
    AnnList l;
    int rejected = 0;
    for (size_t cut = 0; cut < len; cut++) {
        char *c = xmalloc(cut + 1);
        memcpy(c, g, cut);
        if (ann_parse_json(c, cut, "cut", &l, err, sizeof err)) rejected++;
        else ann_free(&l);
        free(c);
    }
    CHECK(rejected == (int)len, "all %zu truncations rejected (%d)", len, rejected);
    uint32_t s = 12345;
    const char pool[] = "{}[]\":,\\u0123456789-.eE \n\ttrnulfalse";
    for (int t = 0; t < 20000; t++) {
        char *c = xmalloc(len);
        memcpy(c, g, len);
        for (int k = 0; k < 1 + t % 4; k++) {
            s = s * 1664525u + 1013904223u;
            size_t at = (s >> 8) % len;
            s = s * 1664525u + 1013904223u;
            c[at] = (s >> 24) & 1 ? (char)(s >> 8) : pool[(s >> 8) % (sizeof pool - 1)];
        }
        if (!ann_parse_json(c, len, "mut", &l, err, sizeof err)) ann_free(&l);
        else CHECK(strncmp(err, "mut:", 4) == 0, "message names the file: %s", err);
        if (!ann_parse_txt(c, len, "mut", 1, &l, err, sizeof err)) ann_free(&l);
        else CHECK(strncmp(err, "mut:", 4) == 0, "text list message names the file: %s", err);
        free(c);
    }
    /* specific messages */
    CHECK(ann_parse_json("[{\"name\": \"a\"}]", 15, "f.json", &l, err, sizeof err) && strstr(err, "missing \"label\""),
          "%s", err);
    CHECK(ann_parse_json("[{\"name\": \"a\", \"label\": 1.5}]", 29, "f.json", &l, err, sizeof err) &&
              strstr(err, "integer"), "%s", err);
    const char *ok = " [ {\"label\": 3, \"x\": [1, {\"y\": null}], \"name\": \"a\\/b\"} ] ";
    CHECK(!ann_parse_json(ok, strlen(ok), "ok", &l, err, sizeof err) && l.n == 1 && l.e[0].label == 3 &&
              !strcmp(l.e[0].name, "a/b"), "valid list with extra keys: %s", err);
    ann_free(&l);
    const char *txt = "A/v_1 3\r\n\nB/v_2  4\n";
    CHECK(!ann_parse_txt(txt, strlen(txt), "t", 1, &l, err, sizeof err) && l.n == 2 && l.e[1].label == 4 &&
              !strcmp(l.e[1].name, "B/v_2"), "txt list: %s", err);
    ann_free(&l);
    CHECK(ann_parse_txt("A/v_1 x\n", 8, "t.txt", 1, &l, err, sizeof err) && strstr(err, "t.txt:1"), "%s", err);
    free(g);
}

int main(void) {
    test_streams();
    test_ucf(103, 5, 7);
    test_ucf(17, 3, 12345);
    test_ucf(2, 4, 7);
    test_k400();
    test_fuzz();
    TEST_END();
}
