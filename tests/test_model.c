/* Both models end to end through `fedvssl grad` against PyTorch (float64 goldens of the same
 * deterministic state and batch): loss, outputs, every gradient, every stepped state entry. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/model.h"
#include "golden.h"


static void write_inputs(Model *m, const char *kind, int B, const char *sp, const char *bp) {
    detgen_state(&m->st);
    state_save_npz(&m->st, sp);
    size_t ni = (size_t)B * 3 * 16 * 112 * 112;
    float *imgs = xmalloc(ni * 4);
    detgen_imgs(imgs, ni);
    int64_t ish[5] = {B, 3, 16, 112, 112};
    NpzWriter w;
    if (npz_writer_open(&w, bp)) die("cannot write %s", bp);
    npz_writer_add(&w, "imgs", NPY_F32, 5, ish, imgs);
    if (!strcmp(kind, "ctp")) {
        float *t = xmalloc((size_t)B * 3 * 16 * 4 * 4);
        detgen_trajs(t, B, 16, 112, 112);
        int64_t ts[4] = {B, 3, 16, 4};
        npz_writer_add(&w, "gt_trajs", NPY_F32, 4, ts, t);
        free(t);
    } else {
        int64_t l[16], ls[1] = {B};
        detgen_labels(l, B, 101);
        npz_writer_add(&w, "labels", NPY_I64, 1, ls, l);
    }
    if (npz_writer_close(&w)) die("cannot write %s", bp);
    free(imgs);
}

static double scalar_of(const Npz *o, const char *k) {
    const NpyArray *a = npz_get(o, k);
    float v = NAN;
    if (a) npy_to_f32(a, &v);
    return v;
}

/* Gradients between the loss and the first ReLU of the backbone's last block: no ReLU mask whose
 * input sits within rounding of zero can flip on the way, so they must match to 1e-4 whatever the
 * noise below. */
static int tight(const char *name) {
    static const char *const p[] = {"head.", "cls_head.", "backbone.layer4.1.conv2.", "backbone.layer4.1.bn2."};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        if (!strncmp(name, p[i], strlen(p[i]))) return 1;
    return 0;
}

static void check_model(const char *kind, const char *dir, const char *device) {
    int B = 2;
    ModelKind mk = !strcmp(kind, "ctp") ? MODEL_CTP : MODEL_TSN;
    Model m;
    model_init(&m, mk, 101);
    char sp[512], bp[512], op[512], cmd[4096], gname[64];
    snprintf(sp, sizeof sp, "%s/%s_state.npz", dir, kind);
    snprintf(bp, sizeof bp, "%s/%s_batch.npz", dir, kind);
    snprintf(op, sizeof op, "%s/%s_out.npz", dir, kind);
    write_inputs(&m, kind, B, sp, bp);
    snprintf(cmd, sizeof cmd,
             "%s grad --model %s --state %s --batch %s --out %s --dropout 0 --device %s > /dev/null",
             fedvssl_bin, kind, sp, bp, op, device);
    int rc = system(cmd);
    CHECK(rc == 0, "%s: fedvssl grad failed (%d)", kind, rc);
    if (rc) return;
    snprintf(gname, sizeof gname, "model_%s.npz", kind);
    Npz g = golden_open(gname), o;
    char err[1024];
    if (npz_open(&o, op, err, sizeof err)) die("%s", err);

    double loss = scalar_of(&o, "loss"), gl = golden_scalar(&g, "loss");
    CHECK(fabs(loss - gl) <= 1e-4 * fabs(gl), "%s loss %.7g vs %.7g", kind, loss, gl);
    const char *outk = mk == MODEL_CTP ? "pred" : "logits";
    const NpyArray *pa = npz_get(&o, outk);
    CHECK(pa != NULL, "%s: output has %s", kind, outk);
    char tk[64];
    snprintf(tk, sizeof tk, "%s", outk);
    if (pa) cmp_golden(&g, outk, (const float *)pa->data, pa->numel, golden_tol(&g, tk, 1e-4));
    if (mk == MODEL_CTP) {
        CHECK(fabs(scalar_of(&o, "loss_ctr") - golden_scalar(&g, "loss_ctr")) <= 1e-4 * golden_scalar(&g, "loss_ctr"), "loss_ctr");
        CHECK(fabs(scalar_of(&o, "loss_size") - golden_scalar(&g, "loss_size")) <= 1e-4 * golden_scalar(&g, "loss_size"), "loss_size");
    }
    State *s = &m.st;
    double worst_g = 0, worst_d = 0, margin = 0; /* margin: largest error / tolerance */
    int n_loose = 0;
    const char *wg = "", *wd = "";
    char key[300];
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        if (e->trainable) {
            snprintf(key, sizeof key, "grad.%s", e->name);
            const NpyArray *a = npz_get(&o, key);
            CHECK(a && a->numel == e->numel, "%s present", key);
            if (!a) continue;
            float *v = xmalloc(e->numel * 4);
            npy_to_f32(a, v);
            double tol = tight(e->name) ? 1e-4 : golden_tol(&g, key, 1e-4), r = cmp_summary(&g, key, i, v, e->numel, tol);
            if (r > worst_g) worst_g = r, wg = e->name;
            if (r / tol > margin) margin = r / tol;
            if (r > 1e-4) n_loose++;
            free(v);
        }
        snprintf(key, sizeof key, "step.%s", e->name);
        const NpyArray *a = npz_get(&o, key);
        CHECK(a && a->numel == e->numel, "%s present", key);
        if (!a) continue;
        if (e->type == ST_I64) {
            int64_t c;
            npy_to_i64(a, &c);
            CHECK(c == 6, "%s = %lld, expected 6", key, (long long)c);
            continue;
        }
        /* Compare the update (stepped - initial), not the weights: a wrong gradient would vanish
         * inside lr * g next to w. */
        float *v = xmalloc(e->numel * 4);
        npy_to_f32(a, v);
        for (int64_t k = 0; k < e->numel; k++) v[k] -= s->w[e->off + k];
        snprintf(key, sizeof key, "delta.%s", e->name);
        /* Updates are never tight: the clip coefficient depends on the norm of all gradients. */
        double tol = golden_tol(&g, key, 1e-4), r = cmp_summary(&g, key, i, v, e->numel, tol);
        if (r > worst_d) worst_d = r, wd = e->name;
        if (r / tol > margin) margin = r / tol;
        if (r > 1e-4) n_loose++;
        free(v);
    }
    printf("%s on %s: loss %.6f (golden %.6f), worst gradient error %.2e (%s), worst update error %.2e (%s); "
           "%d tensors above 1e-4 (bound: 3x PyTorch fp32 noise); largest error/tolerance %.2f\n",
           kind, device, loss, gl, worst_g, wg, worst_d, wd, n_loose, margin);
    npz_close(&o);
    npz_close(&g);
    model_free(&m);
}

/* Inference (BN running statistics), planned both ways: the training plan and the inference plan
 * (shared activation buffers) must give the same output, and it must match PyTorch's eval mode. */
static void check_eval(const char *kind, const Backend *be) {
    int B = 2;
    ModelKind mk = !strcmp(kind, "ctp") ? MODEL_CTP : MODEL_TSN;
    Model m;
    model_init(&m, mk, 101);
    model_use_backend(&m, be);
    detgen_state(&m.st);
    model_upload_state(&m);
    size_t ni = (size_t)B * 3 * 16 * 112 * 112, no = mk == MODEL_CTP ? (size_t)B * 3 * 64 : (size_t)B * 101;
    float *imgs = xalloc_aligned(ni * 4), *trajs = xmalloc((size_t)B * 3 * 16 * 4 * 4), *a = xmalloc(no * 4);
    detgen_imgs(imgs, ni);
    detgen_trajs(trajs, B, 16, 112, 112);
    Dims in = {B, 3, 16, 112, 112};
    model_plan(&m, in, 1);
    model_forward(&m, imgs, trajs, NULL, NULL, 0);
    memcpy(a, mk == MODEL_CTP ? m.pred_h : m.logits_h, no * 4);
    model_plan(&m, in, 0);
    model_forward(&m, imgs, trajs, NULL, NULL, 0);
    const float *b = mk == MODEL_CTP ? m.pred_h : m.logits_h;
    CHECK(!memcmp(a, b, no * 4), "%s: inference plan and training plan give the same eval output", kind);
    char gname[64], key[64];
    snprintf(gname, sizeof gname, "model_%s.npz", kind);
    snprintf(key, sizeof key, "eval_%s", mk == MODEL_CTP ? "pred" : "logits");
    Npz g = golden_open(gname);
    double e = cmp_golden(&g, key, b, no, 1e-4);
    printf("%s eval on %s: output error %.2e\n", kind, be->name, e);
    npz_close(&g);
    free(imgs), free(trajs), free(a);
    model_free(&m);
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    char dir[] = "/tmp/fedvssl_test_model_XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp failed");
    ops_set_threads(0);
    check_model("ctp", dir, "cpu");
    check_model("tsn", dir, "cpu");
    check_eval("ctp", backend_cpu());
    check_eval("tsn", backend_cpu());
#ifdef FEDVSSL_CUDA
    /* the same checks on the GPU, where there is one (fp32: the same tolerances) */
    if (backend_cuda_devices() > 0) {
        check_model("ctp", dir, "cuda");
        check_model("tsn", dir, "cuda");
        check_eval("ctp", backend_cuda(0));
        check_eval("tsn", backend_cuda(0));
    } else
        printf("CUDA checks skipped: no CUDA device\n");
#endif
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    TEST_END();
}
