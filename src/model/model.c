/* R3D-18 backbone with the CtP head or the TSN head: state table, initialisation, forward and
 * backward written once against the op interface (ops.h). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/prof.h"
#include "../core/rng.h"
#include "../core/util.h"

static const BNSpec BN_SPEC = {1e-3f, 0.1f}; /* BatchNorm3d(C, eps=1e-3), momentum 0.1 */

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
    bn->mean = xalloc_aligned(c * sizeof(float));
    bn->invstd = xalloc_aligned(c * sizeof(float));
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
        add_conv(s, &m->tconv, "head.temporal_conv", 512, 512, 2, 1, 1, 1, 1, 1, 1);
        m->tconv.cs.p[0] = 0; /* kernel (2,1,1), no padding */
        m->fc1_w = add_f(s, "head.fc1.weight", 2, 512, 512 * 25, 0, 0, 0, 1);
        m->fc1_b = add_f(s, "head.fc1.bias", 1, 512, 0, 0, 0, 0, 1);
        m->pred_w = add_f(s, "head.pred_head.weight", 2, 64, 512, 0, 0, 0, 1);
        m->pred_b = add_f(s, "head.pred_head.bias", 1, 64, 0, 0, 0, 0, 1);
    } else {
        m->fc_w = add_f(s, "cls_head.fc_cls.weight", 2, num_classes, 512, 0, 0, 0, 1);
        m->fc_b = add_f(s, "cls_head.fc_cls.bias", 1, num_classes, 0, 0, 0, 0, 1);
        m->dropout = 0.5f;
    }
    state_alloc(s);
}

/* ---------- initialisation ---------- */

static void init_normal(float *p, int64_t n, double std, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) p[i] = (float)(std * rng_normal_at(seed, i));
}

void model_reset_parameters(Model *m, uint64_t seed) {
    State *s = &m->st;
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
            init_normal(p, e->numel, 0.001, sd);
        } else {
            int one = (l > 7 && !strcmp(nm + l - 7, ".weight") && strstr(nm, "bn")) ||
                      (l > 12 && !strcmp(nm + l - 12, ".running_var"));
            for (int64_t k = 0; k < e->numel; k++) p[k] = one ? 1.f : 0.f;
        }
    }
}

/* ---------- planning ---------- */

static float *act(Dims d) { return xalloc_aligned(dims_numel(d) * sizeof(float)); }

static void free_buffers(Model *m) {
    int own = m->train_plan; /* an inference plan's activations alias the pool */
    conv_plan_free(m->stem.plan);
    if (own) free(m->stem_x), free(m->stem_y);
    m->stem_x = m->stem_y = NULL;
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        conv_plan_free(b->c1.plan), conv_plan_free(b->c2.plan), conv_plan_free(b->dn.plan);
        b->c1.plan = b->c2.plan = b->dn.plan = NULL;
        if (own) free(b->x1), free(b->y1), free(b->x2), free(b->xd), free(b->out);
        b->x1 = b->y1 = b->x2 = b->xd = b->out = NULL;
    }
    for (int i = 0; i < 3; i++) free(m->pool[i]), m->pool[i] = NULL;
    conv_plan_free(m->tconv.plan);
    m->stem.plan = m->tconv.plan = NULL;
    float **bufs[] = {&m->t_out, &m->rois, &m->roi_out, &m->h1, &m->pred, &m->target, &m->dpred, &m->dh1, &m->droi,
                      &m->pooled, &m->dropped, &m->logits, &m->dlogits, &m->dpool, &m->gA, &m->gB, &m->gT1, &m->gT2};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        free(*bufs[i]);
        *bufs[i] = NULL;
    }
    free(m->mask);
    m->mask = NULL;
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
    m->stem.plan = conv_plan(&m->stem.cs, in, train ? 1 : 0);
    m->dstem = conv_out_dims(&m->stem.cs, in);
    if (train) {
        m->stem_x = act(m->dstem);
        m->stem_y = act(m->dstem);
    } else {
        /* Inference keeps nothing: a block reads its input from one pool buffer and writes through
         * the other two (BN runs in place), the shortcut branch uses gT1. */
        for (int i = 0; i < 3; i++) m->pool[i] = act(m->dstem);
        m->stem_x = m->stem_y = m->pool[0];
    }
    Dims d = m->dstem;
    int cur = 0; /* pool buffer holding the current block input (inference) */
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        b->din = d;
        b->c1.plan = conv_plan(&b->c1.cs, d, bw);
        b->dout = conv_out_dims(&b->c1.cs, d);
        b->c2.plan = conv_plan(&b->c2.cs, b->dout, bw);
        if (b->has_down) b->dn.plan = conv_plan(&b->dn.cs, d, bw);
        if (train) {
            b->x1 = act(b->dout), b->y1 = act(b->dout), b->x2 = act(b->dout), b->out = act(b->dout);
            if (b->has_down) b->xd = act(b->dout);
        } else {
            int a = (cur + 1) % 3, o = (cur + 2) % 3;
            b->x1 = b->y1 = m->pool[a];
            b->x2 = b->out = m->pool[o];
            cur = o;
        }
        d = b->dout;
    }
    m->dfeat = d;
    int B = in.n;
    if (m->kind == MODEL_CTP) {
        if (d.d != 2) die("CtP head needs 2 feature frames (16-frame clips), got %d from %d frames", d.d, in.d);
        m->tconv.plan = conv_plan(&m->tconv.cs, d, bw);
        Dims t = conv_out_dims(&m->tconv.cs, d);
        m->t_out = act(t);
        m->nroi = B * 3;
        m->rois = xalloc_aligned(m->nroi * 5 * sizeof(float));
        m->roi_out = xalloc_aligned((size_t)m->nroi * 12800 * sizeof(float));
        m->droi = xalloc_aligned((size_t)m->nroi * 12800 * sizeof(float));
        m->h1 = xalloc_aligned(m->nroi * 512 * sizeof(float));
        m->dh1 = xalloc_aligned(m->nroi * 512 * sizeof(float));
        m->pred = xalloc_aligned(m->nroi * 64 * sizeof(float));
        m->dpred = xalloc_aligned(m->nroi * 64 * sizeof(float));
        m->target = xalloc_aligned(m->nroi * 64 * sizeof(float));
    } else {
        /* AvgPool3d((2,7,7)) then a head that requires a 1x1x1 result (§5). */
        if (d.d != 2 || d.h != 7 || d.w != 7)
            die("TSN head needs 512x2x7x7 features (16x112x112 clips), got %dx%dx%d from %dx%dx%d input", d.d, d.h, d.w,
                in.d, in.h, in.w);
        m->pooled = xalloc_aligned(B * 512 * sizeof(float));
        m->dropped = xalloc_aligned(B * 512 * sizeof(float));
        m->dpool = xalloc_aligned(B * 512 * sizeof(float));
        m->mask = xcalloc(B * 512, 1);
        m->logits = xalloc_aligned(B * m->num_classes * sizeof(float));
        m->dlogits = xalloc_aligned(B * m->num_classes * sizeof(float));
    }
    m->gT1 = act(m->dstem);
    if (train) m->gA = act(m->dstem), m->gB = act(m->dstem), m->gT2 = act(m->dstem);
    else
        for (int i = 0; i < 8; i++)
            if (m->blk[i].has_down) m->blk[i].xd = m->gT1; /* shortcut BN runs in place */
    m->planned = 1;
}

void model_free(Model *m) {
    free_buffers(m);
    BN *bns[1 + 8 * 3];
    int n = 0;
    bns[n++] = &m->stem_bn;
    for (int i = 0; i < 8; i++) {
        bns[n++] = &m->blk[i].b1, bns[n++] = &m->blk[i].b2;
        if (m->blk[i].has_down) bns[n++] = &m->blk[i].db;
    }
    for (int i = 0; i < n; i++) free(bns[i]->mean), free(bns[i]->invstd);
    state_free(&m->st);
}

/* ---------- forward ---------- */

static void bn_fwd(Model *m, BN *bn, Dims d, const float *x, float *y, int relu, int train) {
    State *s = &m->st;
    double t0 = now_sec();
    if (train)
        bn_forward_train(d, x, y, state_w(s, bn->w), state_w(s, bn->b), bn->mean, bn->invstd, state_w(s, bn->rm),
                         state_w(s, bn->rv), s->cnt + s->e[bn->nbt].off, BN_SPEC, relu);
    else
        bn_forward_eval(d, x, y, state_w(s, bn->w), state_w(s, bn->b), state_w(s, bn->rm), state_w(s, bn->rv), BN_SPEC,
                        relu);
    prof_sec[PROF_BN] += now_sec() - t0;
}

static const float *cw(Model *m, const Conv *c) { return state_w(&m->st, c->w); }

static void backbone_forward(Model *m, const float *imgs, int train) {
    conv_forward(m->stem.plan, imgs, cw(m, &m->stem), NULL, m->stem_x);
    bn_fwd(m, &m->stem_bn, m->dstem, m->stem_x, m->stem_y, 1, train);
    const float *x = m->stem_y;
    for (int i = 0; i < 8; i++) {
        Block *b = &m->blk[i];
        conv_forward(b->c1.plan, x, cw(m, &b->c1), NULL, b->x1);
        bn_fwd(m, &b->b1, b->dout, b->x1, b->y1, 1, train);
        conv_forward(b->c2.plan, b->y1, cw(m, &b->c2), NULL, b->x2);
        bn_fwd(m, &b->b2, b->dout, b->x2, b->out, 0, train);
        const float *sc = x;
        if (b->has_down) {
            conv_forward(b->dn.plan, x, cw(m, &b->dn), NULL, b->xd);
            bn_fwd(m, &b->db, b->dout, b->xd, m->gT1, 0, train);
            sc = m->gT1;
        }
        PROF(PROF_ELTWISE, add_relu(dims_numel(b->dout), b->out, sc));
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
    State *s = &m->st;
    backbone_forward(m, imgs, train);
    const float *feat = m->blk[7].out;
    Dims d = m->dfeat;
    int B = m->batch;
    m->loss = m->loss_ctr = m->loss_size = 0;
    if (m->kind == MODEL_CTP) {
        if (!gt_trajs) die("internal: CtP forward needs gt_trajs");
        conv_forward(m->tconv.plan, feat, cw(m, &m->tconv), state_w(s, m->tconv.b), m->t_out);
        relu_inplace((size_t)B * 512 * d.h * d.w, m->t_out);
        if (m->din.d != 16) die("CtP needs 16-frame clips (16 predicted frames), got %d", m->din.d);
        ctp_targets(gt_trajs, m->nroi, m->rois, m->target);
        int R = m->nroi;
        double t0 = now_sec();
        roi_align_forward(m->t_out, B, 512, d.h, d.w, m->rois, R, ROI, m->roi_out);
        linear_forward(m->roi_out, state_w(s, m->fc1_w), state_w(s, m->fc1_b), m->h1, R, 12800, 512);
        relu_inplace((size_t)R * 512, m->h1);
        linear_forward(m->h1, state_w(s, m->pred_w), state_w(s, m->pred_b), m->pred, R, 512, 64);
        prof_sec[PROF_HEAD] += now_sec() - t0;
        float count = 0;
        for (int i = 0; i < R * 16; i++) count += gt_weights ? gt_weights[i] : 1.f;
        if (count < 1) count = 1;
        /* gt_weights are per (b, t, frame): one weight for each row of 4 numbers. */
        smooth_l1_ctp(m->pred, m->target, gt_weights, R * 16, 1.f, count, &m->loss_ctr, &m->loss_size, m->dpred);
        m->loss = m->loss_ctr + m->loss_size;
    } else {
        global_avgpool_forward(d, feat, m->pooled);
        size_t n = (size_t)B * 512;
        const float *h = m->pooled;
        if (train && m->dropout > 0) {
            dropout_forward(n, m->pooled, m->dropped, m->mask, m->dropout, m->dropout_seed);
            h = m->dropped;
        }
        linear_forward(h, state_w(s, m->fc_w), state_w(s, m->fc_b), m->logits, B, 512, m->num_classes);
        if (labels) {
            for (int i = 0; i < B; i++)
                if (labels[i] < 0 || labels[i] >= m->num_classes)
                    die("label %lld out of range [0, %d)", (long long)labels[i], m->num_classes);
            m->loss = cross_entropy(m->logits, labels, B, m->num_classes, m->dlogits);
        }
    }
    return m->loss;
}

/* ---------- backward ---------- */

static void bn_bwd(Model *m, BN *bn, Dims d, const float *dy, const float *relu_out, const float *x, float *dx) {
    State *s = &m->st;
    PROF(PROF_BN, bn_backward(d, dy, relu_out, x, state_w(s, bn->w), bn->mean, bn->invstd, dx, state_g(s, bn->w),
                              state_g(s, bn->b)));
}

static void conv_bwd(Model *m, Conv *c, const float *x, const float *dy, float *dx) {
    State *s = &m->st;
    conv_backward_weights(c->plan, x, dy, state_g(s, c->w), c->b >= 0 ? state_g(s, c->b) : NULL);
    if (dx) conv_backward_data(c->plan, dy, state_w(s, c->w), dx);
}

void model_backward(Model *m, const float *imgs) {
    if (!m->train_plan) die("internal: model_backward on a model planned for inference");
    State *s = &m->st;
    int B = m->batch;
    Dims d = m->dfeat;
    float *dfeat = m->gA;
    if (m->kind == MODEL_CTP) {
        int R = m->nroi;
        double t0 = now_sec();
        linear_backward(m->dpred, m->h1, state_w(s, m->pred_w), m->dh1, state_g(s, m->pred_w), state_g(s, m->pred_b), R,
                        512, 64);
        relu_backward((size_t)R * 512, m->dh1, m->h1, m->dh1);
        linear_backward(m->dh1, m->roi_out, state_w(s, m->fc1_w), m->droi, state_g(s, m->fc1_w), state_g(s, m->fc1_b),
                        R, 12800, 512);
        size_t nt = (size_t)B * 512 * d.h * d.w;
        float *dt = m->gT2;
        memset(dt, 0, nt * sizeof(float));
        roi_align_backward(m->droi, B, 512, d.h, d.w, m->rois, R, ROI, dt);
        relu_backward(nt, dt, m->t_out, dt);
        prof_sec[PROF_HEAD] += now_sec() - t0;
        conv_bwd(m, &m->tconv, m->blk[7].out, dt, dfeat);
    } else {
        float *dh = m->dpool;
        linear_backward(m->dlogits, m->dropout > 0 ? m->dropped : m->pooled, state_w(s, m->fc_w), dh,
                        state_g(s, m->fc_w), state_g(s, m->fc_b), B, 512, m->num_classes);
        if (m->dropout > 0) dropout_backward((size_t)B * 512, dh, m->mask, m->dropout, dh);
        global_avgpool_backward(d, dh, dfeat);
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
            double t0 = now_sec();
#pragma omp parallel for simd
            for (size_t k = 0; k < nin; k++) dx[k] += m->gT2[k];
            prof_sec[PROF_ELTWISE] += now_sec() - t0;
        } else {
            const float *y = b->out;
            double t0 = now_sec();
#pragma omp parallel for simd
            for (size_t k = 0; k < nin; k++) dx[k] += y[k] > 0 ? dy[k] : 0;
            prof_sec[PROF_ELTWISE] += now_sec() - t0;
        }
        float *t = dy;
        dy = dx;
        dx = t;
    }
    bn_bwd(m, &m->stem_bn, m->dstem, dy, m->stem_y, m->stem_x, m->gT1);
    conv_bwd(m, &m->stem, imgs, m->gT1, NULL);
}

double model_train_step(Model *m, const float *imgs, const float *gt_trajs, const float *gt_weights,
                        const int64_t *labels, Hyper h, int first) {
    State *s = &m->st;
    state_alloc_train(s);
    memset(s->g, 0, s->nf * sizeof(float));
    model_forward(m, imgs, gt_trajs, gt_weights, labels, 1);
    if (!isfinite(m->loss)) die("loss is %f (diverged); lower the learning rate", m->loss);
    model_backward(m, imgs);
    return model_update(m, h, first);
}

double model_update(Model *m, Hyper h, int first) {
    /* PyTorch's clip_grad_norm_ and SGD over every trainable tensor (BN affine and biases included). */
    State *s = &m->st;
    state_alloc_train(s);
    double t0 = now_sec();
    float *grads[256];
    size_t lens[256];
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (s->e[i].trainable) grads[n] = state_g(s, i), lens[n++] = s->e[i].numel;
    double norm = h.clip > 0 ? clip_grad_norm(grads, lens, n, h.clip) : clip_grad_norm(grads, lens, n, INFINITY);
    for (int i = 0; i < s->n; i++)
        if (s->e[i].trainable)
            sgd_step(s->e[i].numel, state_w(s, i), state_g(s, i), s->m + s->e[i].off, h.lr, h.momentum,
                     h.weight_decay, first);
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
