/* R3D-18 backbone with the CtP head or the TSN head: state table, initialisation, forward and
 * backward written once against the backend table (backend.h). The losses run on the host: their
 * inputs are a few hundred numbers. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prof.h"
#include "../core/rng.h"
#include "../core/util.h"

static const BNSpec BN_SPEC = {1e-3f, 0.1f}; /* BatchNorm3d(C, eps=1e-3), momentum 0.1 */

static void free_buffers(Model *m);

/* ---------- state table ---------- */

static int add_f(State *s, const char *name, int nd, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int train) {
    int64_t sh[5] = {a, b, c, d, e};
    return state_add(s, name, nd, sh, ST_F32, train);
}

static void add_conv(State *s, Conv *cv, const char *name, int cin, int cout, int kt, int kh, int kw, int st, int sh,
                     int sw, int bias) {
    char key[160];
    int pt = kt / 2, ph = kh / 2, pw = kw / 2;
    cv->cs = (ConvSpec){cin, cout, {kt, kh, kw}, {st, sh, sw}, {pt, ph, pw}, bias};
    snprintf(key, sizeof key, "%s.weight", name);
    cv->w = add_f(s, key, 5, cout, cin, kt, kh, kw, 1);
    cv->b = -1;
    if (bias) {
        snprintf(key, sizeof key, "%s.bias", name);
        cv->b = add_f(s, key, 1, cout, 0, 0, 0, 0, 1);
    }
}

static void add_bn(State *s, BN *bn, const char *name, int c) {
    char key[160];
    bn->c = c;
    snprintf(key, sizeof key, "%s.weight", name);
    bn->w = add_f(s, key, 1, c, 0, 0, 0, 0, 1);
    snprintf(key, sizeof key, "%s.bias", name);
    bn->b = add_f(s, key, 1, c, 0, 0, 0, 0, 1);
    snprintf(key, sizeof key, "%s.running_mean", name);
    bn->rm = add_f(s, key, 1, c, 0, 0, 0, 0, 0);
    snprintf(key, sizeof key, "%s.running_var", name);
    bn->rv = add_f(s, key, 1, c, 0, 0, 0, 0, 0);
    snprintf(key, sizeof key, "%s.num_batches_tracked", name);
    bn->nbt = state_add(s, key, 0, NULL, ST_I64, 0);
}

void model_init(Model *m, ModelKind kind, int num_classes) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->num_classes = num_classes;
    State *s = &m->st;
    add_conv(s, &m->stem, "backbone.stem.conv", 3, 64, 3, 7, 7, 1, 2, 2, 0);
    add_bn(s, &m->stem_bn, "backbone.stem.bn", 64);
    static const int chans[4] = {64, 128, 256, 512};
    int cin = 64;
    for (int l = 0; l < 4; l++)
        for (int i = 0; i < 2; i++) {
            Block *b = &m->blk[l * 2 + i];
            int cout = chans[l];
            /* First block of stages 2-4 downsamples in time; in space too except pretrain layer4 (§1.1). */
            int ts = (i == 0 && l > 0) ? 2 : 1;
            int ss = (i == 0 && l > 0 && !(l == 3 && kind == MODEL_CTP)) ? 2 : 1;
            char name[96];
            snprintf(name, sizeof name, "backbone.layer%d.%d.conv1.conv", l + 1, i);
            add_conv(s, &b->c1, name, cin, cout, 3, 3, 3, ts, ss, ss, 0);
            snprintf(name, sizeof name, "backbone.layer%d.%d.bn1", l + 1, i);
            add_bn(s, &b->b1, name, cout);
            snprintf(name, sizeof name, "backbone.layer%d.%d.conv2.conv", l + 1, i);
            add_conv(s, &b->c2, name, cout, cout, 3, 3, 3, 1, 1, 1, 0);
            snprintf(name, sizeof name, "backbone.layer%d.%d.bn2", l + 1, i);
            add_bn(s, &b->b2, name, cout);
            /* Shortcut conv iff spatial downsampling or a channel change (§1.2). */
            b->has_down = ss == 2 || cin != cout;
            if (b->has_down) {
                snprintf(name, sizeof name, "backbone.layer%d.%d.downsample.conv", l + 1, i);
                add_conv(s, &b->dn, name, cin, cout, 1, 1, 1, ts, ss, ss, 0);
                snprintf(name, sizeof name, "backbone.layer%d.%d.downsample_bn", l + 1, i);
                add_bn(s, &b->db, name, cout);
            }
            cin = cout;
        }
    if (kind == MODEL_CTP) {
        add_conv(s, &m->ctp.tconv, "head.temporal_conv", 512, 512, 2, 1, 1, 1, 1, 1, 1);
        m->ctp.tconv.cs.p[0] = 0; /* kernel (2,1,1), no padding */
        m->ctp.fc1_w = add_f(s, "head.fc1.weight", 2, 512, 512 * 25, 0, 0, 0, 1);
        m->ctp.fc1_b = add_f(s, "head.fc1.bias", 1, 512, 0, 0, 0, 0, 1);
        m->ctp.pred_w = add_f(s, "head.pred_head.weight", 2, 64, 512, 0, 0, 0, 1);
        m->ctp.pred_b = add_f(s, "head.pred_head.bias", 1, 64, 0, 0, 0, 0, 1);
    } else {
        m->tsn.fc_w = add_f(s, "cls_head.fc_cls.weight", 2, num_classes, 512, 0, 0, 0, 1);
        m->tsn.fc_b = add_f(s, "cls_head.fc_cls.bias", 1, num_classes, 0, 0, 0, 0, 1);
        m->dropout = 0.5f;
    }
    state_alloc(s);
    m->be = backend_cpu();
    m->pw = s->w;
}

/* ---------- backend, parameters ---------- */

static float *W(const Model *m, int i) { return m->pw + m->st.e[i].off; }
static float *G(const Model *m, int i) { return m->pg + m->st.e[i].off; }

static int bn_list(Model *m, BN **bns) {
    int n = 0;
    bns[n++] = &m->stem_bn;
    for (int i = 0; i < 8; i++) {
        bns[n++] = &m->blk[i].b1, bns[n++] = &m->blk[i].b2;
        if (m->blk[i].has_down) bns[n++] = &m->blk[i].db;
    }
    return n;
}

static void free_params(Model *m) {
    const Backend *be = m->be;
    State *s = &m->st;
    if (m->pw != s->w) be->free(be, m->pw);
    if (m->pg != s->g) be->free(be, m->pg);
    if (m->pm != s->m) be->free(be, m->pm);
    m->pw = m->pg = m->pm = NULL;
    BN *bns[25];
    int n = bn_list(m, bns);
    for (int i = 0; i < n; i++) be->free(be, bns[i]->mean), be->free(be, bns[i]->invstd), bns[i]->mean = bns[i]->invstd = NULL;
}

void model_use_backend(Model *m, const Backend *be) {
    if (m->be == be && m->pw) return;
    model_download_state(m);
    if (m->planned) free_buffers(m);
    free_params(m);
    m->be = be;
    State *s = &m->st;
    /* On the CPU the backend's parameters are the host state itself. */
    m->pw = be->caps & BE_SHARES_HOST ? s->w : be->alloc(be, s->nf * sizeof(float));
    be->upload(be, m->pw, s->w, s->nf * sizeof(float));
}

void model_upload_state(Model *m) { m->be->upload(m->be, m->pw, m->st.w, m->st.nf * sizeof(float)); }
void model_download_state(Model *m) {
    if (m->pw) m->be->download(m->be, m->st.w, m->pw, m->st.nf * sizeof(float));
}
void model_download_grads(const Model *m, float *host) {
    if (!m->pg) die("internal: no gradients (the model was not planned for training)");
    m->be->download(m->be, host, m->pg, m->st.nf * sizeof(float));
}
void model_zero_grads(Model *m) { m->be->zero(m->be, m->pg, m->st.nf * sizeof(float)); }

/* ---------- initialisation ---------- */

static void init_normal(float *p, int64_t n, double std, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) p[i] = (float)(std * rng_normal_at(seed, i));
}

void state_reset_parameters(State *s, ModelKind kind, uint64_t seed, int head_init_fan_in) {
    for (int i = 0; i < s->n; i++) {
        StateEntry *e = &s->e[i];
        const char *nm = e->name;
        size_t l = strlen(nm);
        uint64_t sd = rng_at(seed, i);
        if (e->type == ST_I64) {
            memset(s->cnt + e->off, 0, e->numel * sizeof(int64_t));
            continue;
        }
        float *p = s->w + e->off;
        if (e->ndim == 5) { /* conv: Kaiming normal, fan_out, ReLU gain */
            double fan_out = (double)e->shape[0] * e->shape[2] * e->shape[3] * e->shape[4];
            init_normal(p, e->numel, sqrt(2.0 / fan_out), sd);
        } else if (e->ndim == 2) { /* linear layers of both heads: N(0, 0.001^2) */
            double std = head_init_fan_in && kind == MODEL_CTP ? 1.0 / sqrt((double)e->shape[1]) : 0.001;
            init_normal(p, e->numel, std, sd);
        } else {
            int one = (l > 7 && !strcmp(nm + l - 7, ".weight") && strstr(nm, "bn")) ||
                      (l > 12 && !strcmp(nm + l - 12, ".running_var"));
            for (int64_t k = 0; k < e->numel; k++) p[k] = one ? 1.f : 0.f;
        }
    }
}

void model_reset_parameters(Model *m, uint64_t seed) {
    state_reset_parameters(&m->st, m->kind, seed, m->head_init_fan_in);
    model_upload_state(m);
}

void model_state_layout(State *s, ModelKind kind, int num_classes) {
    Model m;
    model_init(&m, kind, num_classes);
    *s = m.st; /* the table and its buffers change hands; nothing else was allocated */
}

/* ---------- planning ---------- */

static float *balloc(const Model *m, size_t floats) { return m->be->alloc(m->be, floats * sizeof(float)); }
/* Convolution plans are the backend's (oneDNN primitives in the channel-blocked layout, cuDNN descriptors). */
static void plan_conv(Model *m, Conv *c, Dims in, int backward) { c->plan = m->be->conv_plan(m->be, &c->cs, in, backward); }
static void unplan_conv(Model *m, Conv *c) {
    if (c->plan) m->be->conv_plan_free(m->be, c->plan);
    c->plan = NULL;
}

/* A plan's buffers are carved from one backend allocation and one host allocation. place_buffers runs twice:
 * with no base it only adds up the sizes (and leaves every pointer NULL), then it hands out the pieces. */
typedef struct {
    char *base;
    size_t off;
} Arena;
static void *take(Arena *a, size_t bytes) {
    size_t at = a->off;
    a->off += (bytes + 63) / 64 * 64; /* every buffer 64-byte aligned, as backend allocations are */
    return a->base ? a->base + at : NULL;
}
static float *takef(Arena *a, size_t floats) { return take(a, floats * sizeof(float)); }

static void place_buffers(Model *m, Arena *dev, Arena *host) {
    const int train = m->train_plan, B = m->batch;
    if (!(m->be->caps & BE_HOST_MEMORY)) m->input = takef(dev, dims_numel(m->din)); /* host batches are uploaded here */
    size_t big = dims_numel(m->dstem); /* the largest activation: every scratch buffer is this size */
    if (train) {
        m->stem_x = takef(dev, big), m->stem_y = takef(dev, big);
    } else {
        /* Inference keeps nothing: a block reads its input from one pool buffer and writes through
         * the other two (BN runs in place), the shortcut branch uses gT1. */
        for (int i = 0; i < 3; i++) m->pool[i] = takef(dev, big);
        m->stem_x = m->stem_y = m->pool[0];
    }
    int cur = 0; /* pool buffer holding the current block input (inference) */
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        size_t n = dims_numel(b->dout);
        if (train) {
            b->x1 = takef(dev, n), b->y1 = takef(dev, n), b->x2 = takef(dev, n), b->out = takef(dev, n);
            b->xd = b->has_down ? takef(dev, n) : NULL;
        } else {
            int a = (cur + 1) % 3, o = (cur + 2) % 3;
            b->x1 = b->y1 = m->pool[a];
            b->x2 = b->out = m->pool[o];
            cur = o;
        }
    }
    if (m->kind == MODEL_CTP) {
        CtpHead *h = &m->ctp;
        int R = h->nroi = B * 3;
        h->t_out = takef(dev, dims_numel(conv_out_dims(&h->tconv.cs, m->dfeat)));
        h->rois = takef(dev, (size_t)R * 5);
        h->roi_out = takef(dev, (size_t)R * 12800), h->droi = takef(dev, (size_t)R * 12800);
        h->h1 = takef(dev, (size_t)R * 512), h->dh1 = takef(dev, (size_t)R * 512);
        h->pred = takef(dev, (size_t)R * 64), h->dpred = takef(dev, (size_t)R * 64);
        h->rois_h = takef(host, (size_t)R * 5), h->target = takef(host, (size_t)R * 64);
        h->pred_h = takef(host, (size_t)R * 64), h->dpred_h = takef(host, (size_t)R * 64);
    } else {
        /* AvgPool3d((2,7,7)) then a head that requires a 1x1x1 result (§5): for 16x112x112 clips that is the
         * mean over the whole feature map, which is what is computed for other clip sizes too (small runs). */
        TsnHead *h = &m->tsn;
        size_t nc = (size_t)B * m->num_classes;
        h->pooled = takef(dev, (size_t)B * 512), h->dropped = takef(dev, (size_t)B * 512);
        h->dpool = takef(dev, (size_t)B * 512);
        h->mask = take(dev, (size_t)B * 512);
        h->logits = takef(dev, nc), h->dlogits = takef(dev, nc);
        h->logits_h = takef(host, nc), h->dlogits_h = takef(host, nc);
    }
    m->gT1 = takef(dev, big);
    if (train) {
        m->gA = takef(dev, big), m->gB = takef(dev, big), m->gT2 = takef(dev, big);
    } else {
        m->gA = m->gB = m->gT2 = NULL;
        for (int i = 0; i < 8; i++)
            if (m->blk[i].has_down) m->blk[i].xd = m->gT1; /* shortcut BN runs in place */
    }
}

static void free_buffers(Model *m) {
    unplan_conv(m, &m->stem);
    unplan_conv(m, &m->ctp.tconv);
    for (int i = 0; i < 8; i++) unplan_conv(m, &m->blk[i].c1), unplan_conv(m, &m->blk[i].c2), unplan_conv(m, &m->blk[i].dn);
    m->be->free(m->be, m->arena);
    free(m->host_arena);
    m->arena = m->host_arena = NULL;
    if (m->planned) place_buffers(m, &(Arena){0}, &(Arena){0}); /* every buffer pointer back to NULL */
    m->planned = 0;
}

void model_plan(Model *m, Dims in, int train) {
    if (m->planned && !memcmp(&in, &m->din, sizeof in) && m->train_plan == !!train) return;
    if (in.c != 3) die("input must have 3 channels, got %d", in.c);
    free_buffers(m);
    m->din = in;
    m->batch = in.n;
    m->train_plan = !!train;
    int bw = train ? 2 : 0; /* backward passes the convolutions need */
    const Backend *be = m->be;
    if (train && !m->pg) {
        State *s = &m->st;
        if (be->caps & BE_SHARES_HOST) state_alloc_train(s), m->pg = s->g, m->pm = s->m;
        else m->pg = balloc(m, s->nf), m->pm = balloc(m, s->nf);
    }
    BN *bns[25];
    int nbn = bn_list(m, bns);
    for (int i = 0; i < nbn; i++)
        if (!bns[i]->mean) bns[i]->mean = balloc(m, bns[i]->c), bns[i]->invstd = balloc(m, bns[i]->c);
    plan_conv(m, &m->stem, in, train ? 1 : 0);
    m->dstem = conv_out_dims(&m->stem.cs, in);
    Dims d = m->dstem;
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        b->din = d;
        plan_conv(m, &b->c1, d, bw);
        b->dout = conv_out_dims(&b->c1.cs, d);
        plan_conv(m, &b->c2, b->dout, bw);
        if (b->has_down) plan_conv(m, &b->dn, d, bw);
        d = b->dout;
    }
    m->dfeat = d;
    if (m->kind == MODEL_CTP) {
        if (d.d != 2) die("CtP head needs 2 feature frames (16-frame clips), got %d from %d frames", d.d, in.d);
        plan_conv(m, &m->ctp.tconv, d, bw);
    }
    Arena dev = {0}, host = {0};
    place_buffers(m, &dev, &host); /* sizes */
    m->arena = dev.base = be->alloc(be, dev.off);
    m->host_arena = host.base = xcalloc(host.off ? host.off : 1, 1);
    dev.off = host.off = 0;
    place_buffers(m, &dev, &host);
    m->planned = 1;
}

void model_free(Model *m) {
    free(m->segs);
    m->segs = NULL, m->nsegs = 0;
    free_buffers(m);
    free_params(m);
    state_free(&m->st);
}

/* ---------- forward ---------- */

static void bn_fwd(Model *m, BN *bn, Dims d, const float *x, float *y, int relu, int train) {
    double t0 = now_sec();
    if (train || m->bn_recalibrate) {
        BNSpec bs = BN_SPEC;
        if (!train) bs.momentum = 1.0f / (float)m->bn_recal_forwards; /* the cumulative average */
        m->be->bn_forward_train(m->be, d, x, y, W(m, bn->w), W(m, bn->b), bn->mean, bn->invstd, W(m, bn->rm), W(m, bn->rv),
                                bs, relu);
        m->st.cnt[m->st.e[bn->nbt].off]++; /* num_batches_tracked lives on the host */
    } else
        m->be->bn_forward_eval(m->be, d, x, y, W(m, bn->w), W(m, bn->b), W(m, bn->rm), W(m, bn->rv), BN_SPEC, relu);
    prof_sec[PROF_BN] += now_sec() - t0;
}

static void conv_fwd(Model *m, Conv *c, const float *x, float *y) {
    m->be->conv_forward(m->be, c->plan, x, W(m, c->w), c->b >= 0 ? W(m, c->b) : NULL, y);
}

static void backbone_forward(Model *m, const float *imgs, int train) {
    conv_fwd(m, &m->stem, imgs, m->stem_x);
    bn_fwd(m, &m->stem_bn, m->dstem, m->stem_x, m->stem_y, 1, train);
    const float *x = m->stem_y;
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        conv_fwd(m, &b->c1, x, b->x1);
        bn_fwd(m, &b->b1, b->dout, b->x1, b->y1, 1, train);
        conv_fwd(m, &b->c2, b->y1, b->x2);
        bn_fwd(m, &b->b2, b->dout, b->x2, b->out, 0, train);
        const float *sc = x;
        if (b->has_down) {
            conv_fwd(m, &b->dn, x, b->xd);
            bn_fwd(m, &b->db, b->dout, b->xd, m->gT1, 0, train);
            sc = m->gT1;
        }
        PROF(PROF_ELTWISE, m->be->add_relu(m->be, dims_numel(b->dout), b->out, sc));
        x = b->out;
    }
}

/* CtP regression targets (§2.4) from the ground-truth boxes; also builds the RoIs (frame-0 boxes). */
void ctp_targets(const float *gt, int R, float *rois, float *target) {
    const int T = 16;
    for (int r = 0; r < R; r++) {
        const float *box0 = gt + (size_t)r * T * 4;
        float *roi = rois + r * 5;
        roi[0] = (float)(r / 3);
        memcpy(roi + 1, box0, 4 * sizeof(float));
        float rcx = (box0[0] + box0[2]) * 0.5f, rcy = (box0[1] + box0[3]) * 0.5f;
        float rw = fmaxf(box0[2] - box0[0], 1.f), rh = fmaxf(box0[3] - box0[1], 1.f);
        for (int f = 0; f < 16; f++) {
            const float *g = gt + ((size_t)r * T + f) * 4;
            float gcx = (g[0] + g[2]) * 0.5f, gcy = (g[1] + g[3]) * 0.5f;
            float gw = fmaxf(g[2] - g[0], 1.f), gh = fmaxf(g[3] - g[1], 1.f);
            float *t = target + (size_t)r * 64 + f * 4;
            t[0] = (gcx - rcx) / 0.8f;
            t[1] = (gcy - rcy) / 0.8f;
            t[2] = (logf(gw) - logf(rw)) / 0.04f;
            t[3] = (logf(gh) - logf(rh)) / 0.04f;
        }
    }
}

static const RoISpec ROI = {5, 5, 2, 0.125f};

float model_forward(Model *m, const float *imgs, const float *gt_trajs, const float *gt_weights, const int64_t *labels,
                    int train) {
    if (!m->planned) die("internal: model_forward before model_plan");
    if (train && !m->train_plan) die("internal: training forward on a model planned for inference");
    const Backend *be = m->be;
    if (m->input) { /* one host-to-backend copy of the batch per step */
        be->upload(be, m->input, imgs, dims_numel(m->din) * sizeof(float));
        imgs = m->input;
    }
    m->imgs = imgs;
    if (!train && m->bn_recalibrate) m->bn_recal_forwards++;
    backbone_forward(m, imgs, train);
    const float *feat = m->blk[7].out;
    Dims d = m->dfeat;
    int B = m->batch;
    m->loss = m->loss_ctr = m->loss_size = 0;
    if (m->kind == MODEL_CTP) {
        if (!gt_trajs) die("internal: CtP forward needs gt_trajs");
        conv_fwd(m, &m->ctp.tconv, feat, m->ctp.t_out);
        be->relu_inplace(be, (size_t)B * 512 * d.h * d.w, m->ctp.t_out);
        if (m->din.d != 16) die("CtP needs 16-frame clips (16 predicted frames), got %d", m->din.d);
        int R = m->ctp.nroi;
        ctp_targets(gt_trajs, R, m->ctp.rois_h, m->ctp.target);
        be->upload(be, m->ctp.rois, m->ctp.rois_h, (size_t)R * 5 * sizeof(float));
        double t0 = now_sec();
        be->roi_align_forward(be, m->ctp.t_out, B, 512, d.h, d.w, m->ctp.rois, R, ROI, m->ctp.roi_out);
        be->linear_forward(be, m->ctp.roi_out, W(m, m->ctp.fc1_w), W(m, m->ctp.fc1_b), m->ctp.h1, R, 12800, 512);
        be->relu_inplace(be, (size_t)R * 512, m->ctp.h1);
        be->linear_forward(be, m->ctp.h1, W(m, m->ctp.pred_w), W(m, m->ctp.pred_b), m->ctp.pred, R, 512, 64);
        be->download(be, m->ctp.pred_h, m->ctp.pred, (size_t)R * 64 * sizeof(float));
        float count = 0;
        for (int i = 0; i < R * 16; i++) count += gt_weights ? gt_weights[i] : 1.f;
        if (count < 1) count = 1;
        /* gt_weights are per (b, t, frame): one weight for each row of 4 numbers. */
        smooth_l1_ctp(m->ctp.pred_h, m->ctp.target, gt_weights, R * 16, 1.f, count, &m->loss_ctr, &m->loss_size, m->ctp.dpred_h);
        be->upload(be, m->ctp.dpred, m->ctp.dpred_h, (size_t)R * 64 * sizeof(float));
        prof_sec[PROF_HEAD] += now_sec() - t0;
        m->loss = m->loss_ctr + m->loss_size;
    } else {
        be->avgpool_forward(be, d, feat, m->tsn.pooled);
        size_t n = (size_t)B * 512, nl = (size_t)B * m->num_classes;
        const float *h = m->tsn.pooled;
        if (train && m->dropout > 0) {
            be->dropout_forward(be, n, m->tsn.pooled, m->tsn.dropped, m->tsn.mask, m->dropout,
                                model_dropout_mask_seed(m->dropout_seed, m->dropout_step));
            h = m->tsn.dropped;
        }
        if (train) m->dropout_step++; /* a fresh mask for the next step (dropout used or not: one count per step) */
        be->linear_forward(be, h, W(m, m->tsn.fc_w), W(m, m->tsn.fc_b), m->tsn.logits, B, 512, m->num_classes);
        be->download(be, m->tsn.logits_h, m->tsn.logits, nl * sizeof(float));
        if (labels) {
            for (int i = 0; i < B; i++)
                if (labels[i] < 0 || labels[i] >= m->num_classes)
                    die("label %lld out of range [0, %d)", (long long)labels[i], m->num_classes);
            m->loss = cross_entropy(m->tsn.logits_h, labels, B, m->num_classes, m->tsn.dlogits_h);
            be->upload(be, m->tsn.dlogits, m->tsn.dlogits_h, nl * sizeof(float));
        }
    }
    return m->loss;
}

uint64_t model_dropout_mask_seed(uint64_t seed, uint64_t step) { return seed + step * 0x9E3779B97F4A7C15ull; }

/* ---------- backward ---------- */

static void bn_bwd(Model *m, BN *bn, Dims d, const float *dy, const float *relu_out, const float *x, float *dx) {
    PROF(PROF_BN, m->be->bn_backward(m->be, d, dy, relu_out, x, W(m, bn->w), bn->mean, bn->invstd, dx, G(m, bn->w),
                                     G(m, bn->b), BN_SPEC));
}

static void conv_bwd(Model *m, Conv *c, const float *x, const float *dy, float *dx) {
    m->be->conv_backward_weights(m->be, c->plan, x, dy, G(m, c->w), c->b >= 0 ? G(m, c->b) : NULL);
    if (dx) m->be->conv_backward_data(m->be, c->plan, dy, W(m, c->w), dx);
}

void model_backward(Model *m) {
    if (!m->train_plan) die("internal: model_backward on a model planned for inference");
    const Backend *be = m->be;
    int B = m->batch;
    Dims d = m->dfeat;
    float *dfeat = m->gA;
    if (m->kind == MODEL_CTP) {
        int R = m->ctp.nroi;
        double t0 = now_sec();
        be->linear_backward(be, m->ctp.dpred, m->ctp.h1, W(m, m->ctp.pred_w), m->ctp.dh1, G(m, m->ctp.pred_w), G(m, m->ctp.pred_b), R, 512, 64);
        be->relu_backward(be, (size_t)R * 512, m->ctp.dh1, m->ctp.h1, m->ctp.dh1);
        be->linear_backward(be, m->ctp.dh1, m->ctp.roi_out, W(m, m->ctp.fc1_w), m->ctp.droi, G(m, m->ctp.fc1_w), G(m, m->ctp.fc1_b), R, 12800, 512);
        size_t nt = (size_t)B * 512 * d.h * d.w;
        float *dt = m->gT2;
        be->zero(be, dt, nt * sizeof(float));
        be->roi_align_backward(be, m->ctp.droi, B, 512, d.h, d.w, m->ctp.rois, R, ROI, dt);
        be->relu_backward(be, nt, dt, m->ctp.t_out, dt);
        prof_sec[PROF_HEAD] += now_sec() - t0;
        conv_bwd(m, &m->ctp.tconv, m->blk[7].out, dt, dfeat);
    } else {
        float *dh = m->tsn.dpool;
        be->linear_backward(be, m->tsn.dlogits, m->dropout > 0 ? m->tsn.dropped : m->tsn.pooled, W(m, m->tsn.fc_w), dh, G(m, m->tsn.fc_w),
                            G(m, m->tsn.fc_b), B, 512, m->num_classes);
        if (m->dropout > 0) be->dropout_backward(be, (size_t)B * 512, dh, m->tsn.mask, m->dropout, dh);
        be->avgpool_backward(be, d, dh, dfeat);
    }
    /* Residual blocks, last to first; dy holds d(block output). */
    float *dy = m->gA, *dx = m->gB;
    for (int i = 7; i >= 0; i--) {
        Block *b = &m->blk[i];
        const float *xin = i ? m->blk[i - 1].out : m->stem_y;
        size_t nin = dims_numel(b->din);
        bn_bwd(m, &b->b2, b->dout, dy, b->out, b->x2, m->gT1);
        conv_bwd(m, &b->c2, b->y1, m->gT1, m->gT2);
        bn_bwd(m, &b->b1, b->dout, m->gT2, b->y1, b->x1, m->gT2);
        conv_bwd(m, &b->c1, xin, m->gT2, dx);
        if (b->has_down) {
            bn_bwd(m, &b->db, b->dout, dy, b->out, b->xd, m->gT1);
            conv_bwd(m, &b->dn, xin, m->gT1, m->gT2);
            PROF(PROF_ELTWISE, be->accumulate(be, nin, dx, m->gT2, NULL));
        } else {
            PROF(PROF_ELTWISE, be->accumulate(be, nin, dx, dy, b->out)); /* identity shortcut through the ReLU */
        }
        float *t = dy;
        dy = dx;
        dx = t;
    }
    bn_bwd(m, &m->stem_bn, m->dstem, dy, m->stem_y, m->stem_x, m->gT1);
    conv_bwd(m, &m->stem, m->imgs, m->gT1, NULL);
}

double model_train_step(Model *m, const float *imgs, const float *gt_trajs, const float *gt_weights,
                        const int64_t *labels, Hyper h, int first) {
    model_zero_grads(m);
    model_forward(m, imgs, gt_trajs, gt_weights, labels, 1);
    if (!isfinite(m->loss)) die("loss is %f (diverged); lower the learning rate", m->loss);
    model_backward(m);
    return model_update(m, h, first);
}

double model_update(Model *m, Hyper h, int first) {
    /* PyTorch's clip_grad_norm_ (scale = clip / (norm + 1e-6) when below 1) and SGD over every
     * trainable tensor (BN affine and biases included); the clip scale is folded into the SGD pass. */
    if (!m->pg) die("internal: model_update on a model planned for inference");
    const Backend *be = m->be;
    State *s = &m->st;
    double t0 = now_sec();
    if (!m->segs) { /* the trainable entries, in state order */
        m->segs = xcalloc((size_t)s->n, sizeof *m->segs);
        for (int i = 0; i < s->n; i++)
            if (s->e[i].trainable) m->segs[m->nsegs++] = (Segment){(size_t)s->e[i].off, (size_t)s->e[i].numel};
    }
    double norm = sqrt(be->grad_sumsq(be, m->pg, m->segs, m->nsegs));
    float scale = clip_scale(norm, h.clip);
    be->sgd(be, m->pw, m->pg, m->pm, m->segs, m->nsegs, h.lr, h.momentum, h.weight_decay, scale, first);
    prof_sec[PROF_OPTIM] += now_sec() - t0;
    return norm;
}

/* Taps of a kernel of size k over n outputs (stride st, padding p) that land inside an input of size
 * in: zero-padding taps are multiplications by zero that good kernels skip. */
static double valid_taps(int k, int st, int p, int in, int n) {
    double v = 0;
    for (int o = 0; o < n; o++)
        for (int j = 0; j < k; j++) v += o * st - p + j >= 0 && o * st - p + j < in;
    return v;
}

double model_macs_per_clip(const Model *m, int valid_only) {
    double macs = 0;
    const Conv *cs[1 + 8 * 3];
    const Dims *ins[1 + 8 * 3], *outs[1 + 8 * 3];
    int n = 0;
    cs[n] = &m->stem, ins[n] = &m->din, outs[n++] = &m->dstem;
    for (int i = 0; i < 8; i++) {
        const Block *b = &m->blk[i];
        cs[n] = &b->c1, ins[n] = &b->din, outs[n++] = &b->dout;
        cs[n] = &b->c2, ins[n] = &b->dout, outs[n++] = &b->dout;
        if (b->has_down) cs[n] = &b->dn, ins[n] = &b->din, outs[n++] = &b->dout;
    }
    for (int i = 0; i < n; i++) {
        const ConvSpec *c = &cs[i]->cs;
        const Dims *in = ins[i], *o = outs[i];
        if (valid_only)
            macs += (double)c->cin * c->cout * valid_taps(c->k[0], c->s[0], c->p[0], in->d, o->d) *
                    valid_taps(c->k[1], c->s[1], c->p[1], in->h, o->h) * valid_taps(c->k[2], c->s[2], c->p[2], in->w, o->w);
        else
            macs += (double)c->cin * c->k[0] * c->k[1] * c->k[2] * o->c * o->d * o->h * o->w;
    }
    if (m->kind == MODEL_CTP) macs += 512.0 * 512 * 2 * m->dfeat.h * m->dfeat.w + 3.0 * (12800 * 512 + 512 * 64);
    else macs += 512.0 * m->num_classes;
    return macs;
}
