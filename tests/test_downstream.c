/* fedvssl export / finetune / test / retrieve end to end on a tiny synthetic set (3 classes, 9 train and 3 test
 * videos): bad inputs end in one clear line naming the file; the backbone of a Flower-format round file
 * (by position) = that of a named npz; a fine-tune from a pretrain-style checkpoint (float64 counters)
 * takes its backbone; epochs=1 then epochs=2 (resume) gives the
 * uninterrupted run's checkpoint bit for bit; test's results.json matches a recomputation from its
 * saved logits; retrieve's R@k is monotone, R@50 = 1 on a small gallery, and matches a recomputation
 * from its saved features. Export: the baseline's and the authors' files written by NumPy
 * (tools/gen_export_fixtures.py) and our native one give init.npz and both .pth flavours with the
 * expected values; hostile pickles and malformed files are refused in one line. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/core/fsutil.h"
#include "../src/io/ckpt.h"
#include "../src/io/npy.h"
#include "../src/io/pickle.h"
#include "../src/io/state_npz.h"
#include "../src/io/zip.h"
#include "../src/downstream/downstream.h"
#include "../src/model/checkpoint.h"
#include "../src/model/evaluate.h"
#include "cmdtest.h"
#include "golden.h"

static char root[64], data[128];

/* the number after "key": in a JSON text (NAN if absent) */
static double json_num(const char *text, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* A command that must fail: exit status 1 and one stderr line holding every given piece. */
static void expect_error(const char *what, const char *args, const char *want1, const char *want2) {
    char errf[128];
    snprintf(errf, sizeof errf, "%s/err.txt", root);
    int rc = sh("%s %s >/dev/null 2>%s", fedvssl_bin, args, errf);
    char *e = slurp(errf);
    int lines = count(e, "\n");
    CHECK(rc == 1 && lines == 1 && strstr(e, want1) && (!want2 || strstr(e, want2)),
          "%s: exit %d, %d lines: '%s' (want '%s'%s%s)", what, rc, lines, e, want1, want2 ? " and " : "",
          want2 ? want2 : "");
    free(e);
}

static void setup(void) {
    snprintf(data, sizeof data, "%s/data", root);
    CHECK(sh("%s synth --out %s/raw --classes 3 --videos-per-class 4 --frames 34 --seed 5 >/dev/null", fedvssl_bin,
             root) == 0, "synth");
    CHECK(sh("%s prepare --dataset ucf101 --src %s/raw --out %s >/dev/null", fedvssl_bin, root, data) == 0, "prepare");
}

/* A pretrain-style checkpoint: the CtP model's state with float64 counters (as round-<r>.npz holds
 * them), counters set to 7. */
static void write_ctp_init(const char *path) {
    Model m;
    model_init(&m, MODEL_CTP, 0);
    model_reset_parameters(&m, 3);
    NpzWriter w;
    CHECK(npz_writer_open(&w, path) == 0, "open %s", path);
    for (int i = 0; i < m.st.n; i++) {
        const StateEntry *e = &m.st.e[i];
        double seven = 7;
        if (e->type == ST_F32) npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, m.st.w + e->off);
        else npz_writer_add(&w, e->name, NPY_F64, e->ndim, e->shape, &seven);
    }
    CHECK(npz_writer_close(&w) == 0, "write %s", path);
    model_free(&m);
}

/* The CtP init again as the Flower baseline's round-<r>-weights.array.npz (a pickled flwr Parameters of
 * NPY blobs); n entries of it (126 = all). */
static void write_flwr_init(const char *path, int n) {
    Model m;
    model_init(&m, MODEL_CTP, 0);
    model_reset_parameters(&m, 3);
    TensorRef *t = xcalloc((size_t)m.st.n, sizeof *t);
    double *cnt = xcalloc((size_t)m.st.n, sizeof *cnt);
    for (int i = 0; i < m.st.n; i++) {
        const StateEntry *e = &m.st.e[i];
        cnt[i] = 7;
        t[i] = (TensorRef){e->type == ST_F32 ? NPY_F32 : NPY_F64, e->ndim, e->shape,
                           e->type == ST_F32 ? (const void *)(m.st.w + e->off) : (const void *)&cnt[i]};
    }
    char err[1024];
    CHECK(flwr_round_write(path, t, n < m.st.n ? n : m.st.n, err, sizeof err) == 0, "%s", err);
    free(t), free(cnt);
    model_free(&m);
}

/* The backbone from the Flower file (by position) = the backbone from the named npz (by name). */
static void test_flwr_init(const char *named, const char *flwr) {
    Model a, b;
    model_init(&a, MODEL_TSN, 3);
    model_init(&b, MODEL_TSN, 3);
    char how[200] = "";
    int of = 0, na = model_load_backbone(&a, named, &of, NULL, 0), nb = model_load_backbone(&b, flwr, NULL, how, sizeof how);
    CHECK(na == 120 && nb == 120 && of == 120, "120 backbone entries both ways (%d %d of %d)", na, nb, of);
    CHECK(strstr(how, "by position from flwr Parameters (126"), "how: %s", how);
    CHECK(!memcmp(a.st.w, b.st.w, a.st.nf * sizeof(float)) && !memcmp(a.st.cnt, b.st.cnt, a.st.ni * sizeof(int64_t)) &&
              a.st.cnt[0] == 7,
          "same weights and counters");
    model_free(&a), model_free(&b);
}

static void write_npz1(const char *path, const char *key, int ndim, const int64_t *shape) {
    float v[6] = {0};
    NpzWriter w;
    CHECK(npz_writer_open(&w, path) == 0 && npz_writer_add(&w, key, NPY_F32, ndim, shape, v) == 0 &&
              npz_writer_close(&w) == 0,
          "write %s", path);
}

static void test_bad_inputs(const char *init) {
    char a[1024], p[256];
    snprintf(a, sizeof a, "finetune data_dir=%s/nope quiet=true", root);
    expect_error("missing data_dir", a, "data_dir=", "/nope: no such folder");
    snprintf(a, sizeof a, "finetune config=conf/finetune.yaml data_dir=%s/nope", root);
    expect_error("conf/finetune.yaml is accepted", a, "data_dir=", "no such folder");
    expect_error("unknown key", "finetune epoch=3", "unknown key 'epoch'", "epochs");
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s/missing.npz quiet=true out=%s/bad", data, root, root);
    expect_error("missing init", a, "/missing.npz", "no such file");
    snprintf(p, sizeof p, "%s/wrong_shape.npz", root);
    int64_t sh2[2] = {2, 3};
    write_npz1(p, "backbone.stem.conv.weight", 2, sh2);
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("wrong-shaped init key", a, "wrong_shape.npz: 'backbone.stem.conv.weight' has shape (2, 3)",
                 "expected (64, 3, 3, 7, 7)");
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("retrieve: wrong-shaped init key", a, "wrong_shape.npz: 'backbone.stem.conv.weight'", "(2, 3)");
    snprintf(p, sizeof p, "%s/no_backbone.npz", root);
    int64_t sh1[1] = {4};
    write_npz1(p, "arr_0", 1, sh1);
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("init without backbone entries", a, "no_backbone.npz: none of R3D-18's backbone.* entries", "'arr_0'");
    /* a partial init: below half of the backbone refused unless asked; above half taken with a word on stderr */
    for (int k = 10; k <= 70; k += 60) {
        Model cm;
        model_init(&cm, MODEL_CTP, 0);
        snprintf(p, sizeof p, "%s/first%d.npz", root, k);
        NpzWriter w;
        CHECK(npz_writer_open(&w, p) == 0, "open %s", p);
        for (int i = 0; i < k; i++) {
            const StateEntry *e = &cm.st.e[i];
            if (e->type == ST_F32) npz_writer_add(&w, e->name, NPY_F32, e->ndim, e->shape, cm.st.w + e->off);
            else npz_writer_add(&w, e->name, NPY_I64, e->ndim, e->shape, cm.st.cnt + e->off);
        }
        CHECK(npz_writer_close(&w) == 0, "write %s", p);
        model_free(&cm);
    }
    snprintf(p, sizeof p, "%s/first10.npz", root);
    snprintf(a, sizeof a, "finetune data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("a partial init", a, "first10.npz: only 10 of the 120 backbone entries", "init_partial=true");
    snprintf(p, sizeof p, "%s/first70.npz", root);
    CHECK(sh("%s retrieve data_dir=%s init=%s max_videos=1 data.batch=1 data.crop=32 quiet=true out=%s/part "
             "2>%s/part.err",
             fedvssl_bin, data, p, root, root) == 0,
          "retrieve with 70 of 120 entries");
    snprintf(p, sizeof p, "%s/part.err", root);
    char *pe = slurp(p);
    CHECK(strstr(pe, "70 of the 120 backbone entries taken") != NULL, "said on stderr: %s", pe);
    free(pe);
    snprintf(p, sizeof p, "%s/short-weights.array.npz", root);
    write_flwr_init(p, 5);
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s quiet=true out=%s/bad", data, p, root);
    expect_error("a Flower file too short for a backbone", a, "short-weights.array.npz: flwr Parameters (5",
                 "fewer than the 120");
    snprintf(a, sizeof a, "retrieve data_dir=%s init=%s/missing.npz quiet=true", data, root);
    expect_error("retrieve: missing init", a, "/missing.npz", "no such file");
    snprintf(a, sizeof a, "test data_dir=%s run=%s quiet=true", data, root);
    expect_error("test: a folder without checkpoints", a, "no epoch_<e>.npz", root);
    snprintf(a, sizeof a, "test data_dir=%s checkpoint=%s quiet=true", data, init);
    expect_error("test: a checkpoint without a classifier", a, "ctp_init.npz: no classifier", NULL);
    snprintf(a, sizeof a, "finetune data_dir=%s train_list=nope.json quiet=true out=%s/bad", data, root);
    expect_error("missing train list", a, "nope.json: no such annotation list", NULL);
    snprintf(a, sizeof a, "finetune data_dir=%s trace_dir=%s/annotations/train_split_1.json quiet=true out=%s/bad", data,
             data, root);
    expect_error("trace_dir that cannot be a folder", a, "trace_dir=", "train_split_1.json: cannot create");
}

/* every array of two npz files identical */
static int same_arrays(const char *pa, const char *pb, int *n) {
    Npz a, b;
    char err[1024];
    if (npz_open(&a, pa, err, sizeof err)) return 0;
    if (npz_open(&b, pb, err, sizeof err)) return npz_close(&a), 0;
    int same = a.n == b.n;
    for (int i = 0; i < a.n && same; i++) {
        const NpyArray *x = &a.arr[i], *y = npz_get(&b, a.names[i]);
        same = y && x->type == y->type && x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes);
        if (!same) fprintf(stderr, "%s and %s differ in '%s'\n", pa, pb, a.names[i]);
    }
    *n = a.n;
    npz_close(&a), npz_close(&b);
    return same;
}

/* trace_dir= of run B (epoch 1, then resumed for epoch 2): the state before the first step, each step's clips and
 * labels, one line per step with the figures the PyTorch control needs (bench/finetune_control.py); the trace
 * changes nothing (B equals the untraced A, checked by the caller). */
static void check_trace(void) {
    char p[512], err[512] = "";
    snprintf(p, sizeof p, "%s/T/start.npz", root);
    Npz z;
    int ok = npz_open(&z, p, err, sizeof err) == 0;
    CHECK(ok && npz_get(&z, "cls_head.fc_cls.weight") && npz_get(&z, "backbone.stem.conv.weight") && z.n == 122,
          "trace: start.npz holds the model's 122 entries (%s)", err);
    if (ok) npz_close(&z);
    for (int s = 1; s <= 2; s++) {
        snprintf(p, sizeof p, "%s/T/batch-%05d.npz", root, s);
        ok = npz_open(&z, p, err, sizeof err) == 0;
        const NpyArray *im = ok ? npz_get(&z, "imgs") : NULL, *lb = ok ? npz_get(&z, "labels") : NULL;
        int64_t l[2] = {-1, -1};
        if (lb && lb->type == NPY_I64 && lb->numel == 2) npy_to_i64(lb, l);
        CHECK(im && im->ndim == 5 && im->shape[0] == 2 && im->shape[2] == 16 && im->shape[4] == 112 && lb &&
                  l[0] >= 0 && l[0] < 3 && l[1] >= 0 && l[1] < 3,
              "trace: batch %d holds 2 clips 3x16x112x112 and their labels in 0..2 (%s)", s, err);
        if (ok) npz_close(&z);
    }
    snprintf(p, sizeof p, "%s/T/steps.jsonl", root);
    char *t = slurp(p);
    CHECK(t && count(t, "\n") == 2 && strstr(t, "{\"iter\": 1, \"loss\": ") && strstr(t, "{\"iter\": 2, \"loss\": ") &&
              count(t, "\"lr\": 0.00999999978, \"dropout\": 0.5, \"dropout_seed\": ") == 2 &&
              strstr(t, "\"dropout_step\": 0}") && strstr(t, "\"dropout_step\": 1}"),
          "trace: steps.jsonl, one line per step of both halves:\n%s", t);
    free(t);
}

static void test_finetune(const char *init) {
    char common[1024], p[512], q[512];
    snprintf(common, sizeof common, "data_dir=%s init=%s epochs=2 max_iters=1 data.batch=2 data.threads=2 log_interval=1", data,
             init);
    /* uninterrupted: 2 epochs */
    double t0 = now_sec();
    CHECK(sh("%s finetune %s out=%s/A > %s/A.txt", fedvssl_bin, common, root, root) == 0, "finetune A");
    printf("finetune 2 epochs x 1 step: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/A.txt", root);
    char *txt = slurp(p);
    CHECK(strstr(txt, "init: 120 of 120 backbone entries from"), "says how many entries it took: %s", txt);
    CHECK(strstr(txt, "fedvssl finetune: TSN, 3 classes, 9 videos"), "classes from the train list: %s", txt);
    free(txt);
    const char *files[] = {"config.yaml", "metrics.jsonl", "epoch_2.npz"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/A/%s", root, files[i]);
        CHECK(is_file(p), "%s exists", p);
    }
    snprintf(p, sizeof p, "%s/A/epoch_1.npz", root);
    CHECK(!is_file(p), "only the newest checkpoint is kept");
    /* the original's work dir: epoch_<e>.pth (only the newest), a <ts>.log.json of mmcv lines, tf_logs/ */
    snprintf(p, sizeof p, "%s/A/epoch_1.pth", root);
    snprintf(q, sizeof q, "%s/A/epoch_2.pth", root);
    CHECK(!is_file(p) && is_file(q), "epoch_2.pth written, epoch_1.pth pruned");
    CHECK(sh("test \"$(cat %s/A/*.log.json | grep -c '\"mode\": \"train\", \"epoch\": [12], \"iter\": 1, \"lr\": 0.01, "
             "\"memory\": 0, \"data_time\": .*\"loss_cls\": .*\"loss\": .*\"grad_norm\": ')\" = 2",
             root) == 0,
          "mmcv log.json: one line per log record, its fields");
    CHECK(sh("ls %s/A/tf_logs/events.out.tfevents.* > /dev/null", root) == 0, "TensorBoard event file in tf_logs/");
    {
        /* the .pth as mmcv saves it: {'meta': {'epoch': 2, 'iter': 2}, 'state_dict': 122 entries}, through our
         * pickle VM (tools/gen_ckpt_fixtures.py checks the same writer's file with torch.load) */
        ZipReader z;
        char err[512];
        int opened = zip_open(&z, q, err, sizeof err) == 0, owned = 0, ok;
        size_t len = 0;
        int i = opened ? zip_find(&z, "archive/data.pkl") : -1;
        const uint8_t *pkl = i >= 0 ? zip_read(&z, i, &len, &owned, err, sizeof err) : NULL;
        Pickle pk;
        ok = pkl && pickle_load(&pk, pkl, len, "data.pkl", err, sizeof err) == 0;
        if (ok) {
            int32_t md = pk_dict_get(&pk, pk.root, "meta"), sd = pk_dict_get(&pk, pk.root, "state_dict");
            int32_t e = md >= 0 ? pk_dict_get(&pk, md, "epoch") : -1, it = md >= 0 ? pk_dict_get(&pk, md, "iter") : -1;
            ok = sd >= 0 && pk_node(&pk, sd)->n == 2 * 122 && e >= 0 && it >= 0 && pk_node(&pk, e)->u.i == 2 &&
                 pk_node(&pk, it)->u.i == 2;
            pickle_free(&pk);
        }
        CHECK(ok, "epoch_2.pth: mmcv's meta (epoch 2, iter 2) and a state_dict of 122 entries %s", err);
        if (owned) free((void *)pkl);
        if (opened) zip_close(&z);
    }
    snprintf(p, sizeof p, "%s/A/metrics.jsonl", root);
    char *mx = slurp(p);
    CHECK(count(mx, "\"event\": \"train\"") == 2 && count(mx, "\"event\": \"epoch\"") == 2 && count(mx, "\n") == 4,
          "metrics: a train record per iteration (log_interval=1) and one per epoch:\n%s", mx);
    CHECK(strstr(mx, "\"epoch\": 2, \"iter\": 1, \"iters\": 1, \"loss\": ") && strstr(mx, "\"grad_norm\": ") &&
              strstr(mx, "\"clips_per_s\": ") && strstr(mx, "\"top1\": ") && strstr(mx, "\"seconds\": "),
          "metrics fields");
    free(mx);
    snprintf(p, sizeof p, "%s/A/config.yaml", root);
    char *cfg = slurp(p);
    CHECK(strstr(cfg, "epochs: 2\n") && strstr(cfg, "lr_steps: [60.0, 120.0]\n") && strstr(cfg, "data:\n  batch: 2\n"),
          "config.yaml holds the resolved settings:\n%s", cfg);
    free(cfg);

    /* linear warm-up over the first 2 steps (one per epoch here): lr 0.01 * (1 - (1 - k/2) * 0.9) at step k */
    CHECK(sh("%s finetune %s out=%s/W warmup_iters=2 pth=false tensorboard=false quiet=true", fedvssl_bin, common, root) == 0,
          "finetune with warm-up");
    snprintf(p, sizeof p, "%s/W/metrics.jsonl", root);
    mx = slurp(p);
    CHECK(strstr(mx, "\"epoch\": 1, \"iter\": 1, \"iters\": 1, \"loss\": ") && strstr(mx, "\"lr\": 0.001, ") &&
              strstr(mx, "\"lr\": 0.0055, "),
          "warm-up: the logged lr of steps 0 and 1 is 0.001 and 0.0055:\n%s", mx);
    free(mx);
    snprintf(p, sizeof p, "%s/W/epoch_2.pth", root);
    CHECK(!is_file(p) && sh("test ! -d %s/W/tf_logs", root) == 0, "pth=false and tensorboard=false leave them out");

    /* the checkpoint: state, momentum, meta; backbone from init (counters 7 + 2 steps), fresh classifier */
    snprintf(p, sizeof p, "%s/A/epoch_2.npz", root);
    Npz z;
    char err[1024];
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    Model m;
    model_init(&m, MODEL_TSN, 3);
    int entries = 0, mom = 0;
    for (int i = 0; i < m.st.n; i++) {
        entries += npz_get(&z, m.st.e[i].name) != NULL;
        char key[96];
        snprintf(key, sizeof key, "momentum.%s", m.st.e[i].name);
        mom += m.st.e[i].trainable && npz_get(&z, key);
    }
    CHECK(entries == 122 && mom == 62 && z.n == 122 + 62 + 3, "122 entries, 62 momentum buffers, 3 meta (%d %d %d)",
          entries, mom, z.n);
    const NpyArray *nbt = npz_get(&z, "backbone.layer4.1.bn2.num_batches_tracked"), *ep = npz_get(&z, "meta.epoch");
    int64_t v = -1, e = -1;
    if (nbt) npy_to_i64(nbt, &v);
    if (ep) npy_to_i64(ep, &e);
    CHECK(nbt && nbt->type == NPY_I64 && v == 9 && e == 2, "counter from the float64 init (7) + 2 steps: %lld, epoch %lld",
          (long long)v, (long long)e);
    const NpyArray *bias = npz_get(&z, "cls_head.fc_cls.bias");
    float bb[3] = {1, 1, 1};
    if (bias && bias->numel == 3) npy_to_f32(bias, bb);
    CHECK(fabsf(bb[0]) < 0.05f && fabsf(bb[1]) < 0.05f && fabsf(bb[2]) < 0.05f, "fresh classifier (bias from 0)");
    npz_close(&z);
    model_free(&m);

    /* stopped after epoch 1, then continued to 2: the same checkpoint bit for bit; the second half with
     * parameters and momentum in memory of their own (as on a GPU), so a missing host/device sync on
     * resume or save would show */
    t0 = now_sec();
    CHECK(sh("%s finetune %s out=%s/B epochs=1 trace_dir=%s/T quiet=true", fedvssl_bin, common, root, root) == 0,
          "finetune B epoch 1 (traced)");
    /* the run's settings are its own: another crop is refused in one line, config.yaml stays */
    snprintf(p, sizeof p, "%s/B/config.yaml", root);
    char *cfg0 = slurp(p);
    int crc = sh("%s finetune %s out=%s/B data.crop=48 2>%s/Bc.err", fedvssl_bin, common, root, root);
    snprintf(q, sizeof q, "%s/Bc.err", root);
    txt = slurp(q);
    char *cfg1 = slurp(p);
    CHECK(crc != 0 && strstr(txt, "data.crop=48 (the run has 112)") && count(txt, "\n") == 1 && !strcmp(cfg0, cfg1),
          "a changed setting is refused, config.yaml unchanged: %s", txt);
    free(txt), free(cfg0), free(cfg1);
    CHECK(sh("%s finetune %s out=%s/B device=cpu-separate allow_changes=true trace_dir=%s/T > %s/B.txt", fedvssl_bin,
             common, root, root, root) == 0,
          "finetune B resumed (epochs=2: a change, allowed)");
    snprintf(p, sizeof p, "%s/B/config.until-epoch-1.yaml", root);
    CHECK(is_file(p), "the earlier settings kept: %s", p);
    printf("finetune 1 + 1 epochs (resumed): %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/B.txt", root);
    txt = slurp(p);
    CHECK(strstr(txt, "resuming after epoch 1 from"), "resume message: %s", txt);
    free(txt);
    snprintf(p, sizeof p, "%s/A/epoch_2.npz", root);
    snprintf(q, sizeof q, "%s/B/epoch_2.npz", root);
    int n = 0;
    CHECK(same_arrays(p, q, &n) && n == 187, "resumed run = uninterrupted run, every array (%d)", n);
    check_trace();
    snprintf(p, sizeof p, "%s/B/metrics.jsonl", root);
    mx = slurp(p);
    CHECK(count(mx, "\"event\": \"epoch\", \"epoch\": 1,") == 1 && count(mx, "\"event\": \"epoch\", \"epoch\": 2,") == 1,
          "one epoch record each");
    free(mx);
    /* done: nothing to do, nothing changes */
    CHECK(sh("%s finetune %s out=%s/B > %s/B2.txt", fedvssl_bin, common, root, root) == 0, "finetune B again");
    snprintf(p, sizeof p, "%s/B2.txt", root);
    txt = slurp(p);
    CHECK(strstr(txt, "nothing to do"), "a finished run: %s", txt);
    free(txt);
    /* a NaN loss in epoch 3 is caught at the step: exit 1 with one line, epoch_2.npz untouched, no epoch 3 */
    snprintf(p, sizeof p, "%s/B/epoch_2.npz", root);
    size_t l0, l1;
    const char *re;
    uint8_t *before = read_file(p, &l0, &re);
    snprintf(q, sizeof q, "%s/nan.txt", root);
    int rc = sh("%s finetune %s out=%s/B epochs=3 allow_changes=true fault.nan_epoch=3 quiet=true > %s 2>&1", fedvssl_bin,
                common, root, q);
    txt = slurp(q);
    CHECK(rc == 1 && strstr(txt, "epoch 3: iteration 1: loss is nan (diverged)") &&
              strstr(txt, "the last checkpoint, epoch 2, is kept in"),
          "a diverged epoch stops the run with its reason (rc %d): %s", rc, txt);
    free(txt);
    uint8_t *after = read_file(p, &l1, &re);
    CHECK(before && after && l0 == l1 && !memcmp(before, after, l0), "epoch_2.npz unchanged by the diverged epoch");
    free(before), free(after);
    snprintf(p, sizeof p, "%s/B/epoch_3.npz", root);
    CHECK(!is_file(p), "no checkpoint of the diverged epoch");
}

static void test_test(void) {
    char p[512];
    double t0 = now_sec();
    CHECK(sh("%s test data_dir=%s run=%s/A max_videos=2 data.batch=2 data.threads=2 quiet=true", fedvssl_bin, data, root) == 0,
          "test");
    printf("test 2 videos x 10 clips: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/A/results.json", root);
    char *r = slurp(p);
    double top1 = json_num(r, "top1"), top5 = json_num(r, "top5"), mca = json_num(r, "mean_class_accuracy");
    CHECK(top1 >= 0 && top1 <= 1 && top5 >= top1 && top5 <= 1 && mca >= 0 && mca <= 1, "metrics in [0,1]: %g %g %g",
          top1, top5, mca);
    CHECK(top5 == 1, "top-5 of 3 classes is 1: %g", top5);
    CHECK(json_num(r, "crop") == 112, "results.json records the clip side");
    /* evaluation follows the run: another size than the run's is refused; without data.crop the run's is taken
     * (here a copy of run A whose config.yaml says 48) */
    int crc = sh("%s test data_dir=%s run=%s/A data.crop=48 quiet=true 2>%s/crop.err", fedvssl_bin, data, root, root);
    snprintf(p, sizeof p, "%s/crop.err", root);
    char *ce = slurp(p);
    CHECK(crc != 0 && strstr(ce, "data.crop=48, but") && strstr(ce, "trained at data.crop=112") && count(ce, "\n") == 1,
          "a crop mismatch is refused: %s", ce);
    free(ce);
    CHECK(sh("mkdir -p %s/A48 && cp %s/A/epoch_2.npz %s/A48/ && sed 's/^  crop: 112$/  crop: 48/' %s/A/config.yaml "
             ">%s/A48/config.yaml && %s test data_dir=%s run=%s/A48 max_videos=1 data.batch=1 data.threads=2 quiet=true",
             root, root, root, root, root, fedvssl_bin, data, root) == 0,
          "test of a crop-48 run");
    snprintf(p, sizeof p, "%s/A48/results.json", root);
    ce = slurp(p);
    CHECK(json_num(ce, "crop") == 48, "tested at the run's crop (48)");
    free(ce);
    /* the fine-tune run's report now shows the test too */
    snprintf(p, sizeof p, "%s/A/report.html", root);
    char *h = slurp(p);
    CHECK(strstr(h, "badge test") && strstr(h, "<rect class=\"cell\"") && strstr(h, "data-chart=\"r0-finetune-loss\""),
          "report.html after the test: fine-tune curves and the confusion matrix");
    free(h);
    CHECK(json_num(r, "num_videos") == 2 && json_num(r, "num_classes") == 3 && strstr(r, "epoch_2.npz") &&
              strstr(r, "\"per_class\": [") && strstr(r, "\"confusion\": ["),
          "results.json fields:\n%s", r);
    /* recomputed from the saved logits */
    snprintf(p, sizeof p, "%s/A/test_scores.npz", root);
    Npz z;
    char err[1024];
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    const NpyArray *la = npz_get(&z, "logits"), *sa = npz_get(&z, "scores"), *ya = npz_get(&z, "labels");
    CHECK(la && sa && ya && la->ndim == 2 && la->shape[0] == 2 && la->shape[1] == 3 && ya->numel == 2, "saved logits [2,3]");
    if (la && sa && ya && la->numel == 6 && sa->numel == 6 && ya->numel == 2) {
        float lg[6], sc[6];
        int64_t y[2], conf[9];
        npy_to_f32(la, lg);
        npy_to_f32(sa, sc);
        npy_to_i64(ya, y);
        eval_softmax(lg, 2, 3);
        CHECK(!memcmp(lg, sc, sizeof lg), "scores = softmax(mean logits)");
        eval_confusion(sc, y, 2, 3, conf);
        CHECK(eval_topk(sc, y, 2, 3, 1) == top1 && eval_topk(sc, y, 2, 3, 5) == top5 &&
                  eval_mean_class_accuracy(conf, 3, NULL) == mca,
              "results.json = recomputation from the logits");
        /* a class without test videos: null in results.json, nan in per_class.tsv */
        int present = 0;
        for (int c = 0; c < 3; c++) present += conf[c * 3] + conf[c * 3 + 1] + conf[c * 3 + 2] > 0;
        snprintf(p, sizeof p, "%s/A/per_class.tsv", root);
        char *t = slurp(p);
        CHECK(!strncmp(t, "class\tname\tvideos\tcorrect\ttop1\n", 31) && count(t, "\n") == 4 &&
                  count(t, "\tnan\n") == 3 - present && count(r, "\"top1\": null") == 3 - present,
              "per-class table, %d classes present:\n%s", present, t);
        free(t);
    }
    npz_close(&z);
    free(r);
}

static void test_retrieve(void) {
    /* gallery: one train video per class (3 <= 50, every class present: R@50 = 1) */
    char tr[256], p[512], err[1024];
    snprintf(tr, sizeof tr, "%s/annotations/train_split_1.json", data);
    AnnList all, g = {0};
    CHECK(!ann_load_json(tr, &all, err, sizeof err), "%s", err);
    for (int i = 0; i < all.n; i++) {
        int seen = 0;
        for (int j = 0; j < g.n; j++) seen |= g.e[j].label == all.e[i].label;
        if (!seen) ann_push(&g, all.e[i].name, all.e[i].label);
    }
    snprintf(p, sizeof p, "%s/gallery.json", root);
    CHECK(g.n == 3 && !ann_write_json(p, g.e, g.n), "gallery of 3");
    ann_free(&all), ann_free(&g);
    double t0 = now_sec();
    CHECK(sh("%s retrieve data_dir=%s init=%s/A/epoch_2.npz train_list=%s out=%s/R data.batch=2 data.threads=2 > %s/R.txt",
             fedvssl_bin, data, root, p, root, root) == 0,
          "retrieve");
    printf("retrieve 3 + 3 videos x 10 clips: %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "%s/R.txt", root);
    char *txt = slurp(p);
    CHECK(strstr(txt, "init: 120 of 120 backbone entries"), "retrieve takes the backbone: %s", txt);
    free(txt);
    snprintf(p, sizeof p, "%s/R/retrieval.json", root);
    char *r = slurp(p);
    double rec[RETRIEVE_NK];
    int mono = 1;
    for (int k = 0; k < RETRIEVE_NK; k++) {
        char key[16];
        snprintf(key, sizeof key, "R@%d", RETRIEVE_KS[k]);
        rec[k] = json_num(r, key);
        mono &= rec[k] >= 0 && rec[k] <= 1 && (k == 0 || rec[k] >= rec[k - 1]);
    }
    CHECK(mono, "R@k in [0,1], monotone in k:\n%s", r);
    CHECK(rec[RETRIEVE_NK - 1] == 1 && rec[1] == 1, "R@5 = R@50 = 1 with 3 gallery videos, all classes present");
    CHECK(json_num(r, "crop") == 112 && strstr(r, "center crop S = 112"), "retrieval.json: the clip side");
    CHECK(json_num(r, "num_queries") == 3 && json_num(r, "num_gallery") == 3 && strstr(r, "\"protocol\": \"") &&
              json_num(r, "backbone_entries") == 120,
          "counts and protocol:\n%s", r);
    /* BN statistics recomputed on the gallery: reproducible, recorded, and not the checkpoint's (a random backbone's
     * running statistics are 0 and 1) */
    for (int k = 0; k < 3; k++)
        CHECK(sh("%s retrieve data_dir=%s init= train_list=%s/gallery.json data.crop=32 max_videos=2 data.batch=1 "
                 "bn_stats=%s quiet=true out=%s/RB%d",
                 fedvssl_bin, data, root, k < 2 ? "gallery" : "checkpoint", root, k) == 0,
              "retrieve bn_stats run %d", k);
    {
        char q1[600], q2[600], q3[600];
        int n = 0;
        snprintf(q1, sizeof q1, "%s/RB0/features.npz", root);
        snprintf(q2, sizeof q2, "%s/RB1/features.npz", root);
        snprintf(q3, sizeof q3, "%s/RB2/features.npz", root);
        CHECK(same_arrays(q1, q2, &n) && n == 4, "bn_stats=gallery: the same features twice");
        CHECK(!same_arrays(q1, q3, &n), "bn_stats=gallery: other features than the checkpoint's statistics");
        snprintf(q1, sizeof q1, "%s/RB0/retrieval.json", root);
        char *rb = slurp(q1);
        CHECK(strstr(rb, "\"bn_stats\": \"gallery\""), "retrieval.json records bn_stats:\n%s", rb);
        free(rb);
    }
    /* recomputed from the saved features */
    snprintf(p, sizeof p, "%s/R/features.npz", root);
    Npz z;
    CHECK(npz_open(&z, p, err, sizeof err) == 0, "%s", err);
    const NpyArray *gf = npz_get(&z, "train_features"), *gl = npz_get(&z, "train_labels"),
                   *qf = npz_get(&z, "test_features"), *ql = npz_get(&z, "test_labels");
    CHECK(gf && gl && qf && ql && gf->numel == 3 * 512 && qf->numel == 3 * 512, "features [3,512] x 2");
    if (gf && gl && qf && ql && gf->numel == 3 * 512 && qf->numel == 3 * 512 && gl->numel == 3 && ql->numel == 3) {
        float *a = xmalloc(sizeof(float) * 3 * 512), *b = xmalloc(sizeof(float) * 3 * 512);
        int64_t la[3], lb[3];
        npy_to_f32(gf, a), npy_to_f32(qf, b), npy_to_i64(gl, la), npy_to_i64(ql, lb);
        double norm_err = 0;
        for (int i = 0; i < 3; i++) {
            double s = 0, t = 0;
            for (int d = 0; d < 512; d++) s += (double)a[i * 512 + d] * a[i * 512 + d], t += (double)b[i * 512 + d] * b[i * 512 + d];
            norm_err = max_err(max_err(norm_err, fabs(sqrt(s) - 1)), fabs(sqrt(t) - 1));
        }
        CHECK(norm_err < 1e-5, "features L2-normalised (%g)", norm_err);
        double again[RETRIEVE_NK];
        eval_knn_recall(b, lb, 3, a, la, 3, 512, RETRIEVE_KS, RETRIEVE_NK, again);
        CHECK(!memcmp(again, rec, sizeof rec), "retrieval.json = recomputation from the features");
        free(a), free(b);
    }
    npz_close(&z);
    free(r);
}

/* ---- fedvssl export ---- */

/* Value of element k of CtP state entry j in the fixtures of tools/gen_export_fixtures.py. */
static float fixture_value(int j, int64_t k) { return (float)((j + 1) / 1024.0 + (double)(k % 2) / 65536.0); }

/* An exported init.npz: every backbone entry holds the fixture's values (counters 100 + j), the
 * classifier is [classes, 512] and equals a fresh TSN's of the same seed (what finetune draws). */
static void check_exported(const char *what, const char *path, int classes, int seed) {
    Npz z;
    char err[1024];
    if (npz_open(&z, path, err, sizeof err)) {
        CHECK(0, "%s: %s", what, err);
        return;
    }
    Model m;
    model_init(&m, MODEL_TSN, classes);
    model_reset_parameters(&m, (uint64_t)seed);
    int ok = z.n == m.st.n, bad_at = -1;
    for (int j = 0; ok && j < m.st.n; j++) {
        const StateEntry *e = &m.st.e[j];
        const NpyArray *a = npz_get(&z, e->name);
        ok = a && a->numel == e->numel && a->type == (e->type == ST_F32 ? NPY_F32 : NPY_I64) && !strcmp(z.names[j], e->name);
        for (int64_t k = 0; ok && k < e->numel; k++) { /* members of a stored zip need not be aligned */
            float f = NAN;
            int64_t i = -1;
            if (e->type == ST_F32) memcpy(&f, (const char *)a->data + 4 * k, 4);
            else memcpy(&i, (const char *)a->data + 8 * k, 8);
            if (j < 120) ok = e->type == ST_F32 ? f == fixture_value(j, k) : i == 100 + j;
            else ok = f == m.st.w[e->off + k];
        }
        if (!ok) bad_at = j;
    }
    CHECK(ok, "%s: %d entries in state order, backbone = the fixture's, classifier = seed %d's (first bad: %d %s)", what,
          z.n, seed, bad_at, bad_at >= 0 ? m.st.e[bad_at].name : "");
    model_free(&m);
    npz_close(&z);
}

/* A .pth written by export: PyTorch's zip layout, 122 tensors; tensor i's storage bytes; size of each
 * counter's storage (8 bytes: int64 or float64 alike, so also the first float's bytes are checked). */
static void check_pth(const char *what, const char *path, int classes, int ref, int entries_f64) {
    size_t len;
    const char *e;
    uint8_t *f = read_file(path, &len, &e);
    ZipReader z;
    char err[1024];
    if (!f || zip_open_mem(&z, f, len, path, err, sizeof err)) {
        CHECK(0, "%s: %s unreadable", what, path);
        free(f);
        return;
    }
    CHECK(z.n == 122 + 3, "%s: %d members", what, z.n);
    Model m;
    model_init(&m, MODEL_TSN, classes);
    int ok = 1;
    char bad[160] = "";
    for (int i = 0; i < z.n && ok; i++) {
        const char *slash = strrchr(z.e[i].name, '/');
        int idx;
        if (!slash || !strstr(z.e[i].name, "/data/") || sscanf(slash + 1, "%d", &idx) != 1) continue;
        size_t n;
        int owned;
        const uint8_t *d = zip_read(&z, i, &n, &owned, err, sizeof err);
        const StateEntry *se = &m.st.e[idx];
        size_t want = idx < 120 ? (size_t)se->numel * (se->type == ST_F32 ? 4 : 8)
                                : ref ? (idx == 120 ? 512u * 512 * 2 * 4 : 512u * 4) : (size_t)se->numel * 4;
        ok = d && n == want;
        if (ok && idx < 122 && (idx < 120 || ref) && se->type == ST_F32) {
            float v0, v1;
            memcpy(&v0, d, 4), memcpy(&v1, d + 4, 4);
            ok = v0 == fixture_value(idx, 0) && v1 == fixture_value(idx, 1);
        }
        if (ok && se->type == ST_I64 && idx < 120) {
            double dv;
            int64_t iv;
            memcpy(&dv, d, 8), memcpy(&iv, d, 8);
            ok = entries_f64 ? dv == 100 + idx : iv == 100 + idx;
        }
        if (!ok) snprintf(bad, sizeof bad, "%s (%zu bytes, want %zu)", z.e[i].name, n, want);
        if (d && owned) free((void *)d);
    }
    CHECK(ok, "%s: every tensor's storage as expected %s", what, bad);
    model_free(&m);
    zip_close(&z);
    free(f);
}

static void test_export(void) {
    char a[1024], out[256], pth[256], ref[256];
    snprintf(out, sizeof out, "%s/init.npz", root);
    snprintf(pth, sizeof pth, "%s/model.pth", root);
    snprintf(ref, sizeof ref, "%s/model_pretrained.pth", root);
    /* the baseline's round file (float64 counters) and the authors' release (int64), both written by NumPy */
    const char *fx[2] = {"tests/golden/export/flwr_round.npz", "tests/golden/export/authors_ctp.npz"};
    for (int i = 0; i < 2; i++) {
        unlink(out);
        char log[256];
        snprintf(log, sizeof log, "%s/export.txt", root);
        int rc = sh("%s export %s --out %s --pth %s classes=5 seed=11 >%s", fedvssl_bin, fx[i], out, pth, log);
        char *t = slurp(log);
        CHECK(rc == 0 && strstr(t, "took 120 of 120 backbone entries") &&
                  strstr(t, i ? "object array of 126" : "flwr Parameters (126"),
              "export %s: exit %d, says the format and what it took: %s", fx[i], rc, t);
        free(t);
        check_exported(fx[i], out, 5, 11);
        check_pth(fx[i], pth, 5, 0, 0);
        rc = sh("%s export %s out=%s pth=%s pth_format=reference --quiet", fedvssl_bin, fx[i], out, ref);
        CHECK(rc == 0, "export %s pth_format=reference", fx[i]);
        check_pth(fx[i], ref, 101, 1, i == 0);
    }
    /* ours by name: a native round checkpoint with the same values (state_save_npz of a CtP state) */
    Model m;
    model_init(&m, MODEL_CTP, 0);
    for (int j = 0; j < m.st.n; j++) {
        const StateEntry *e = &m.st.e[j];
        for (int64_t k = 0; k < e->numel; k++) {
            if (e->type == ST_F32) m.st.w[e->off + k] = fixture_value(j, k);
            else m.st.cnt[e->off + k] = 100 + j;
        }
    }
    char native[256];
    snprintf(native, sizeof native, "%s/round-3.npz", root);
    state_save_npz(&m.st, native, NULL);
    model_free(&m);
    snprintf(a, sizeof a, "export %s out=%s --quiet", native, out);
    CHECK(sh("%s %s", fedvssl_bin, a) == 0, "export of a native checkpoint");
    check_exported("native round checkpoint", out, 101, 7);
    /* what export refuses, in one line naming the file; nothing is written */
    unlink(out);
    expect_error("export without out=", "export tests/golden/export/flwr_round.npz", "out= is required", NULL);
    expect_error("export without a checkpoint", "export out=x.npz", "no checkpoint given", NULL);
    snprintf(a, sizeof a, "export %s/missing.npz out=%s", root, out);
    expect_error("export of a missing file", a, "/missing.npz: no such file", NULL);
    snprintf(a, sizeof a, "export tests/golden/ckpt/flwr_params.npz out=%s", out);
    expect_error("export of a short list", a, "flwr_params.npz: flwr Parameters (7", "fewer than the 120");
    snprintf(a, sizeof a, "export tests/golden/ckpt/named.npz out=%s", out);
    expect_error("export of foreign names", a, "named.npz: none of R3D-18's backbone.* entries", "'backbone.conv1.weight'");
    char part[256];
    snprintf(part, sizeof part, "%s/partial.npz", root);
    int64_t stem[5] = {64, 3, 3, 7, 7};
    float *zero = xcalloc(64 * 3 * 3 * 7 * 7, sizeof(float));
    NpzWriter w;
    CHECK(npz_writer_open(&w, part) == 0 && npz_writer_add(&w, "backbone.stem.conv.weight", NPY_F32, 5, stem, zero) == 0 &&
              npz_writer_close(&w) == 0,
          "write %s", part);
    free(zero);
    snprintf(a, sizeof a, "export %s out=%s", part, out);
    expect_error("export of a partial backbone", a, "partial.npz: holds only 1 of the 120 backbone entries", NULL);
    const char *hostile[] = {"os_system", "posix_system", "eval", "stack_global", "reduce_ndarray", "huge_binbytes",
                             "deep", "memo_get", "inst"};
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        char want[96];
        snprintf(a, sizeof a, "export tests/golden/ckpt/hostile_%s.npz out=%s pth=%s", hostile[i], out, pth);
        snprintf(want, sizeof want, "hostile_%s.npz", hostile[i]);
        expect_error("export of a hostile pickle", a, want, NULL);
    }
    CHECK(!is_file(out), "no output after the refusals");
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    snprintf(root, sizeof root, "/tmp/fedvssl_down_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp failed");
    double t0 = now_sec();
    setup();
    char init[256];
    snprintf(init, sizeof init, "%s/ctp_init.npz", root);
    write_ctp_init(init);
    char flwr[256];
    snprintf(flwr, sizeof flwr, "%s/round-1-weights.array.npz", root);
    write_flwr_init(flwr, 126);
    test_flwr_init(init, flwr);
    test_bad_inputs(init);
    test_export();
    test_finetune(init);
    test_test();
    test_retrieve();
    printf("total %.1f s\n", now_sec() - t0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", root);
    TEST_END();
}
