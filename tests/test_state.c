/* State tables against the reference's state dict (spec §1.6, §1.7, Appendix A), initialisation
 * statistics (§1.4, §2.3.6, §5), and the npz loader's errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/io/state_npz.h"
#include "../src/model/model.h"
#include "golden.h"

static int64_t count(const State *s, const char *prefix) {
    int64_t n = 0;
    for (int i = 0; i < s->n; i++)
        if (s->e[i].trainable && !strncmp(s->e[i].name, prefix, strlen(prefix))) n += s->e[i].numel;
    return n;
}

static void check_entry(const State *s, int i, const char *name, int ndim, const int64_t *shape, StateType t) {
    const StateEntry *e = &s->e[i];
    int ok = !strcmp(e->name, name) && e->ndim == ndim && e->type == t;
    for (int d = 0; ok && d < ndim; d++) ok = e->shape[d] == shape[d];
    CHECK(ok, "entry %d is %s (got %s)", i, name, e->name);
}

static void test_tables(void) {
    Model c, t;
    model_init(&c, MODEL_CTP, 0);
    model_init(&t, MODEL_TSN, 101);
    CHECK(c.st.n == 126 && t.st.n == 122, "126 CtP entries (%d), 122 TSN entries (%d)", c.st.n, t.st.n);
    CHECK(count(&c.st, "backbone.") == 33166272, "backbone parameters %lld", (long long)count(&c.st, "backbone."));
    CHECK(state_num_params(&c.st) == 40278016, "CtP parameters %lld", (long long)state_num_params(&c.st));
    CHECK(state_num_params(&t.st) == 33218085, "TSN parameters %lld", (long long)state_num_params(&t.st));
    int64_t sh0[5] = {64, 3, 3, 7, 7}, sh42[5] = {128, 64, 1, 1, 1}, sh102[5] = {512, 256, 1, 1, 1}, c64[1] = {64};
    int64_t sh120[5] = {512, 512, 2, 1, 1}, sh122[2] = {512, 12800}, sh124[2] = {64, 512}, fc[2] = {101, 512};
    check_entry(&c.st, 0, "backbone.stem.conv.weight", 5, sh0, ST_F32);
    check_entry(&c.st, 4, "backbone.stem.bn.running_var", 1, c64, ST_F32);
    check_entry(&c.st, 5, "backbone.stem.bn.num_batches_tracked", 0, NULL, ST_I64);
    check_entry(&c.st, 42, "backbone.layer2.0.downsample.conv.weight", 5, sh42, ST_F32);
    check_entry(&c.st, 102, "backbone.layer4.0.downsample.conv.weight", 5, sh102, ST_F32);
    check_entry(&c.st, 119, "backbone.layer4.1.bn2.num_batches_tracked", 0, NULL, ST_I64);
    check_entry(&c.st, 120, "head.temporal_conv.weight", 5, sh120, ST_F32);
    /* what a file's array must look like to load into an entry */
    int64_t sh0t[5] = {64, 3, 3, 7, 6}, one[1] = {1}, flat[1] = {64 * 3 * 3 * 7 * 7};
    CHECK(state_entry_fits(&c.st.e[0], 5, sh0, 64 * 3 * 3 * 7 * 7), "the same shape fits");
    CHECK(!state_entry_fits(&c.st.e[0], 5, sh0t, 64 * 3 * 3 * 7 * 6), "another shape does not");
    CHECK(!state_entry_fits(&c.st.e[0], 1, flat, 64 * 3 * 3 * 7 * 7), "the same count, flattened, does not");
    CHECK(state_entry_fits(&c.st.e[5], 0, NULL, 1) && state_entry_fits(&c.st.e[5], 1, one, 1),
          "a scalar counter takes a 0-d or a one-element array");
    CHECK(!state_entry_fits(&c.st.e[5], 1, c64, 64), "but not 64 elements");
    check_entry(&c.st, 122, "head.fc1.weight", 2, sh122, ST_F32);
    check_entry(&c.st, 124, "head.pred_head.weight", 2, sh124, ST_F32);
    check_entry(&t.st, 120, "cls_head.fc_cls.weight", 2, fc, ST_F32);
    for (int i = 0; i < 120; i++)
        CHECK(!strcmp(c.st.e[i].name, t.st.e[i].name), "backbone entry %d named alike in both models", i);
    int bn = 0;
    for (int i = 0; i < c.st.n; i++) bn += c.st.e[i].type == ST_I64;
    CHECK(bn == 20, "20 BN layers (%d counters)", bn);
    /* TSN layer4 downsamples in space, CtP's does not (§1.1) */
    CHECK(c.blk[6].c1.cs.s[1] == 1 && t.blk[6].c1.cs.s[1] == 2 && c.blk[6].c1.cs.s[0] == 2, "layer4 strides");

    /* §1.4 / §2.3.6: Kaiming normal (fan_out) convs, BN 1/0, heads N(0, 0.001^2), biases 0 */
    model_reset_parameters(&c, 7);
    State *s = &c.st;
    int i = state_find(s, "backbone.layer3.1.conv2.conv.weight");
    double sum = 0, sq = 0;
    for (int64_t k = 0; k < s->e[i].numel; k++) sum += state_w(s, i)[k], sq += (double)state_w(s, i)[k] * state_w(s, i)[k];
    double n = s->e[i].numel, sd = sqrt(sq / n - (sum / n) * (sum / n)), want = sqrt(2.0 / (256 * 27));
    CHECK(fabs(sd / want - 1) < 0.01 && fabs(sum / n) < 3 * want / sqrt(n), "Kaiming std %g (want %g)", sd, want);
    i = state_find(s, "head.fc1.weight");
    sq = 0;
    for (int64_t k = 0; k < s->e[i].numel; k++) sq += (double)state_w(s, i)[k] * state_w(s, i)[k];
    CHECK(fabs(sqrt(sq / s->e[i].numel) / 0.001 - 1) < 0.01, "fc1 std 0.001");
    CHECK(state_w(s, state_find(s, "backbone.layer1.0.bn1.weight"))[5] == 1 &&
              state_w(s, state_find(s, "backbone.layer1.0.bn1.bias"))[5] == 0 &&
              state_w(s, state_find(s, "backbone.layer1.0.bn1.running_var"))[5] == 1 &&
              state_w(s, state_find(s, "backbone.layer1.0.bn1.running_mean"))[5] == 0 &&
              state_w(s, state_find(s, "head.fc1.bias"))[3] == 0 && state_w(s, state_find(s, "head.temporal_conv.bias"))[3] == 0,
          "BN weight 1, bias 0, running stats 0/1, head biases 0");
    /* model.head_init=fan_in: the head's linear layers N(0, 1/fan_in); the backbone drawn as before */
    float conv0 = state_w(s, 0)[0];
    c.head_init_fan_in = 1;
    model_reset_parameters(&c, 7);
    const char *lin[2] = {"head.fc1.weight", "head.pred_head.weight"};
    for (int l = 0; l < 2; l++) {
        i = state_find(s, lin[l]);
        sq = 0;
        for (int64_t k = 0; k < s->e[i].numel; k++) sq += (double)state_w(s, i)[k] * state_w(s, i)[k];
        double want_sd = 1 / sqrt((double)s->e[i].shape[1]);
        CHECK(fabs(sqrt(sq / s->e[i].numel) / want_sd - 1) < 0.02, "fan_in: %s std %g (want %g)", lin[l],
              sqrt(sq / s->e[i].numel), want_sd);
    }
    CHECK(state_w(s, 0)[0] == conv0, "fan_in leaves the backbone's draw alone");
    c.head_init_fan_in = 0;
    float first = state_w(s, 0)[0];
    model_reset_parameters(&c, 7);
    CHECK(state_w(s, 0)[0] == first, "same seed, same initialisation");
    model_reset_parameters(&c, 8);
    CHECK(state_w(s, 0)[0] != first, "another seed, another initialisation");
    model_free(&c);
    model_free(&t);
}

/* `fedvssl grad` on bad state files: one clear message naming the file and the key. */
static void test_errors(void) {
    char dir[] = "/tmp/fedvssl_test_state_XXXXXX", sp[256], cmd[2048], out[256];
    if (!mkdtemp(dir)) die("mkdtemp");
    snprintf(sp, sizeof sp, "%s/bad.npz", dir);
    snprintf(out, sizeof out, "%s/err.txt", dir);
    float w[10] = {0};
    int64_t sh[1] = {10};
    NpzWriter nw;
    npz_writer_open(&nw, sp);
    npz_writer_add(&nw, "backbone.stem.conv.weight", NPY_F32, 1, sh, w);
    npz_writer_close(&nw);
    snprintf(cmd, sizeof cmd, "%s grad --model ctp --state %s --batch %s --out %s/o.npz 2> %s", fedvssl_bin, sp, sp, dir,
             out);
    int rc = system(cmd);
    size_t len = 0;
    const char *e;
    char *msg = (char *)read_file(out, &len, &e);
    msg = msg ? xrealloc(msg, len + 1) : xstrdup("");
    msg[len] = 0;
    CHECK(rc != 0 && strstr(msg, sp) && strstr(msg, "backbone.stem.conv.weight") && strstr(msg, "(64, 3, 3, 7, 7)"),
          "mis-shaped key named with both shapes: %s", msg);
    free(msg);
    Model m;
    model_init(&m, MODEL_CTP, 0);
    state_save_npz(&m.st, sp, NULL);
    /* drop one key: rewrite all but entry 7 */
    npz_writer_open(&nw, sp);
    for (int i = 0; i < m.st.n; i++)
        if (i != 7) {
            const StateEntry *se = &m.st.e[i];
            if (se->type == ST_F32) npz_writer_add(&nw, se->name, NPY_F32, se->ndim, se->shape, state_w(&m.st, i));
            else npz_writer_add(&nw, se->name, NPY_I64, se->ndim, se->shape, m.st.cnt + se->off);
        }
    npz_writer_close(&nw);
    rc = system(cmd);
    len = 0;
    msg = (char *)read_file(out, &len, &e);
    msg = msg ? xrealloc(msg, len + 1) : xstrdup("");
    msg[len] = 0;
    CHECK(rc != 0 && strstr(msg, "missing key 'backbone.layer1.0.bn1.weight'"), "missing key named: %s", msg);
    free(msg);
    model_free(&m);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    test_tables();
    test_errors();
    TEST_END();
}
