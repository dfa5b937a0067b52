/* Every input a fuzzer (tests/fuzz/, `make fuzz`) found a bug with stays here as a test: each must be
 * refused with an error, without a crash or a huge allocation. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../src/core/config.h"
#include "../src/core/util.h"
#include "../src/data/jpeg.h"
#include "../src/io/ckpt.h"
#include "../src/io/npy.h"
#include "../src/io/pickle.h"
#include "check.h"
#include "fuzz/zipfix.h"

static uint8_t *load(const char *name, size_t *len) {
    char path[256];
    const char *e;
    snprintf(path, sizeof path, "tests/fuzz/regress/%s", name);
    uint8_t *d = read_file(path, len, &e);
    if (!d) die("%s: %s (run tests from the repository root)", path, e);
    return d;
}

/* What fuzz_config does with an input: as YAML and as command-line words (one per line); whatever is
 * accepted must be written as YAML that reads back to the same text. */
static int cfg_i, cfg_b;
static double cfg_f;
static const char *cfg_s, *cfg_e;
static CfgFloats cfg_l;
static const CfgKey cfg_keys[] = {
    {"rounds", CFG_INT, &cfg_i, "20", NULL, 1, 1000, ""},
    {"out", CFG_STR, &cfg_s, "", NULL, 0, 0, ""},
    {"strategy.mix_coeff", CFG_FLOAT, &cfg_f, "0.9", NULL, 0, 1, ""},
    {"strategy.fedavg", CFG_BOOL, &cfg_b, "false", NULL, 0, 0, ""},
    {"strategy.name", CFG_ENUM, &cfg_e, "fedvssl", "fedvssl|fedavg|yes", 0, 0, ""},
    {"optimizer.sgd.lr_steps", CFG_FLOATS, &cfg_l, "[60, 120]", NULL, 0, 1000, ""},
};
#define CFG_NK ((int)(sizeof cfg_keys / sizeof *cfg_keys))

static int cfg_round_trip(void) {
    char e[512];
    char *a = config_to_yaml(cfg_keys, CFG_NK), *b = NULL;
    int ok = !config_set_defaults(cfg_keys, CFG_NK, e, sizeof e) &&
             !config_parse_yaml_text(cfg_keys, CFG_NK, a, strlen(a), "written", e, sizeof e) &&
             !strcmp(a, b = config_to_yaml(cfg_keys, CFG_NK));
    free(a);
    free(b);
    return ok;
}

static void replay_config(const char *name) {
    char e[512];
    size_t len;
    uint8_t *d = load(name, &len);
    config_set_defaults(cfg_keys, CFG_NK, e, sizeof e);
    if (!config_parse_yaml_text(cfg_keys, CFG_NK, (const char *)d, len, "regress", e, sizeof e))
        CHECK(cfg_round_trip(), "%s: YAML accepted, round trip", name);
    else
        CHECK(!strchr(e, '\n'), "%s: one-line message", name);
    char *text = xmalloc(len + 1), *argv[34];
    memcpy(text, d, len);
    text[len] = 0;
    int argc = 0;
    argv[argc++] = "regress";
    for (char *t = strtok(text, "\n"); t && argc < 33; t = strtok(NULL, "\n"))
        if (!strstr(t, "config")) argv[argc++] = t;
    const char *pos[2];
    int np;
    if (!config_parse_pos(cfg_keys, CFG_NK, argc, argv, pos, 2, &np, e, sizeof e))
        CHECK(cfg_round_trip(), "%s: arguments accepted, round trip", name);
    free(text);
    free(d);
    config_free();
}

/* NPY arrays of floats that int64 cannot hold: converted as NumPy does (INT64_MIN), not by an undefined cast */
static void replay_npy_to_i64(const char *name) {
    char err[512];
    size_t len;
    uint8_t *d = load(name, &len);
    NpyArray a;
    int rc = npy_parse(d, len, &a, "regress", err, sizeof err);
    CHECK(rc == 0 && (a.type == NPY_F32 || a.type == NPY_F64) && a.numel > 0 && a.numel < 64, "%s parses: %s", name, err);
    if (rc == 0 && a.numel > 0 && a.numel < 64) {
        int64_t q[64];
        npy_to_i64(&a, q);
        int ok = 1, big = 0;
        for (int64_t i = 0; i < a.numel; i++) {
            double v;
            if (a.type == NPY_F32) {
                float f;
                memcpy(&f, a.data + 4 * i, 4);
                v = f;
            } else
                memcpy(&v, a.data + 8 * i, 8);
            int in = v >= -9223372036854775808.0 && v < 9223372036854775808.0;
            big += !in;
            ok &= in ? q[i] == (int64_t)v : q[i] == INT64_MIN;
        }
        CHECK(ok && big > 0, "%s: %d out-of-range values -> INT64_MIN, the others truncated", name, big);
    }
    free(d);
}

int main(void) {
    char err[512];
    size_t len;
    /* a Zip64 locator in a file shorter than a Zip64 end record: read before the buffer */
    uint8_t *d = load("zip64_locator_short_file", &len);
    ZipReader z;
    CHECK(zip_open_mem(&z, d, len, "regress", err, sizeof err) != 0 && strstr(err, "Zip64"), "refused: %s", err);
    free(d);
    /* a JPEG header claiming a frame of gigabytes: refused before allocating */
    d = load("jpeg_huge_header", &len);
    uint8_t *out = NULL;
    size_t cap = 0;
    int w, h;
    int rc = len > 8 ? jpeg_decode_bgr(d + 8, len - 8, NULL, &out, &cap, &w, &h, err, sizeof err) : -1;
    CHECK(rc != 0 && cap < ((size_t)1 << 28), "refused (%s), %zu bytes allocated", err, cap);
    free(d);
    /* the same in a progressive file, 60000x60000: jpeg_start_decompress had allocated the coefficients of all
     * of it (10 GB resident, two minutes) before the size was checked */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss0 = ru.ru_maxrss;
    d = load("jpeg_progressive_huge_header", &len);
    rc = jpeg_decode_bgr(d + 8, len - 8, NULL, &out, &cap, &w, &h, err, sizeof err);
    getrusage(RUSAGE_SELF, &ru);
    CHECK(rc != 0 && strstr(err, "too large") && ru.ru_maxrss - rss0 < 256 * 1024, "refused (%s), peak RSS +%ld KiB",
          err, ru.ru_maxrss - rss0);
    free(out);
    free(d);
    /* a C1 control character (U+0086) in a string was written raw: YAML refuses it on reading */
    replay_config("config_c1_control_in_string");
    /* TUPLE right after a MARK on a never-used stack: NULL + 0 (UBSan) before the stack was preallocated */
    d = load("pickle_tuple_of_empty_stack", &len);
    Pickle pk;
    CHECK(pickle_load(&pk, d, len, "regress", err, sizeof err) != 0 && strstr(err, "no STOP"), "refused: %s", err);
    free(d);
    /* float -> int64 of values out of range (UBSan: float-cast-overflow) in counters and labels */
    replay_npy_to_i64("npy_f32_to_int64_out_of_range");
    replay_npy_to_i64("npy_f64_to_int64_out_of_range");
    /* a member name with a newline was copied raw into the error message: two lines */
    d = load("ckpt_member_name_newline", &len);
    CkptList l;
    CHECK(ckpt_read_mem(d, len, "regress.npz", &l, err, sizeof err) != 0 && !strncmp(err, "regress.npz: ", 13) &&
              !strchr(err, '\n') && l.n == 0,
          "refused in one line: %s", err);
    free(d);
    /* a dtype string with a newline was copied raw into the message */
    d = load("npy_dtype_newline", &len);
    NpyArray a;
    CHECK(npy_parse(d, len, &a, "regress.npy", err, sizeof err) != 0 && strstr(err, "unsupported dtype '?|u1'") &&
              !strchr(err, '\n'),
          "refused in one line: %s", err);
    free(d);
    /* the byte-order character of a pickled array's dtype (a newline) was copied raw into the message; the
     * fuzzer found it in the zip with its CRCs fixed */
    d = load("ckpt_pickle_dtype_byteorder_newline", &len);
    CHECK(zip_fix_crcs(d, len), "the input's zip has members whose CRCs can be fixed");
    CHECK(ckpt_read_mem(d, len, "regress.npz", &l, err, sizeof err) != 0 && strstr(err, "with byte order '?'") &&
              !strchr(err, '\n'),
          "refused in one line: %s", err);
    free(d);
    TEST_END();
}
