/* conv3d on oneDNN: forward, backward-data and backward-weights primitives created once per
 * (layer, input shape). Activations use our fixed layouts (ops.h); weights are re-laid out from
 * PyTorch's OIDHW into whatever each primitive prefers. */
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/prof.h"
#include "../../core/util.h"
#include "cpu_ops.h"

static dnnl_engine_t eng;
static int block = 8;
static int verbose_kernels;

#define DN(call)                                                                          \
    do {                                                                                  \
        dnnl_status_t st_ = (call);                                                       \
        if (st_ != dnnl_success) die("oneDNN call failed (%d): %s", (int)st_, #call);     \
    } while (0)

static void engine_init(void) {
    verbose_kernels = getenv("FEDVSSL_VERBOSE") && atoi(getenv("FEDVSSL_VERBOSE")) > 0;
    /* 16-channel blocks where AVX-512 kernels exist, else 8 (AVX2). */
    block = __builtin_cpu_supports("avx512f") ? 16 : 8;
    const char *b = getenv("FEDVSSL_BLOCK");
    if (b && (atoi(b) == 8 || atoi(b) == 16)) block = atoi(b);
    DN(dnnl_engine_create(&eng, dnnl_cpu, 0));
}
void ops_init(int verbose) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, engine_init); /* threads that train clients side by side may get here together */
    /* FEDVSSL_VERBOSE=1 lists the kernel oneDNN picked for every convolution. */
    if (verbose) verbose_kernels = 1;
}
void ops_set_threads(int n) {
    if (n > 0) omp_set_num_threads(n);
}
int ops_threads(void) { return omp_get_max_threads(); }
int ops_block(int channels) {
    ops_init(0);
    return channels % block == 0 ? block : 1;
}

/* Staging buffers for re-laid-out tensors, shared by every plan a thread runs: its convolutions run one at a
 * time and every call re-lays out its inputs, so one buffer per role (sized to the largest use) is enough. This
 * keeps per-layer copies of weights and activations out of the peak memory. Each thread that runs convolutions
 * (the main one, or one per client trained beside others) has its own buffers and oneDNN stream, freed when it
 * ends; the last three roles are conv_bwdw_depth.c's. */
typedef enum { ST_FWD_SRC, ST_FWD_W, ST_BWDD_W, ST_BWDD_DSRC, ST_BWDD_DDST, ST_BWDW_SRC, ST_BWDW_DDST, ST_BWDW_DW, ST_DW,
               ST_DEPTH_A, ST_N = ST_DEPTH_A + 3 } Staging;
typedef struct {
    dnnl_stream_t strm;
    float *buf[ST_N];
    size_t cap[ST_N];
} ThreadWs;
static pthread_key_t ws_key;
static _Thread_local ThreadWs *tws;

static void ws_free(void *p) {
    ThreadWs *w = p;
    dnnl_stream_destroy(w->strm);
    for (int i = 0; i < ST_N; i++) free(w->buf[i]);
    free(w);
}
static void ws_key_init(void) {
    if (pthread_key_create(&ws_key, ws_free)) die("pthread_key_create failed");
}
static ThreadWs *ws(void) {
    if (tws) return tws;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ws_key_init);
    ops_init(0);
    tws = xcalloc(1, sizeof *tws);
    DN(dnnl_stream_create(&tws->strm, eng, dnnl_stream_default_flags));
    pthread_setspecific(ws_key, tws);
    return tws;
}
static float *staging(Staging role, size_t bytes) {
    ThreadWs *w = ws();
    if (bytes > w->cap[role]) {
        free(w->buf[role]);
        w->buf[role] = xalloc_aligned(bytes);
        w->cap[role] = bytes;
    }
    return w->buf[role];
}
float *conv_depth_scratch(int i, size_t n) { return staging((Staging)(ST_DEPTH_A + i), n * sizeof(float)); }
static dnnl_stream_t stream(void) { return ws()->strm; }

/* One tensor as a primitive wants it, with an optional re-layout from/to our own layout. */
typedef struct {
    dnnl_memory_desc_t ours, theirs;
    dnnl_memory_t m_ours, m_theirs;
    dnnl_primitive_t to_theirs, to_ours;
    Staging role; /* where their copy lives when the layouts differ */
    int same;
} Slot;

static void slot_init(Slot *s, const dnnl_memory_desc_t *ours, const dnnl_memory_desc_t *theirs, Staging role,
                      int dir_in, int dir_out) {
    memset(s, 0, sizeof *s);
    s->ours = *ours;
    s->theirs = *theirs;
    s->role = role;
    s->same = dnnl_memory_desc_equal(ours, theirs);
    DN(dnnl_memory_create(&s->m_ours, ours, eng, DNNL_MEMORY_NONE));
    if (s->same) {
        s->m_theirs = s->m_ours;
        return;
    }
    DN(dnnl_memory_create(&s->m_theirs, theirs, eng, DNNL_MEMORY_NONE));
    staging(role, dnnl_memory_desc_get_size(theirs)); /* grow now: the first step is not slower */
    dnnl_primitive_desc_t pd;
    if (dir_in) {
        DN(dnnl_reorder_primitive_desc_create(&pd, ours, eng, theirs, eng, NULL));
        DN(dnnl_primitive_create(&s->to_theirs, pd));
        dnnl_primitive_desc_destroy(pd);
    }
    if (dir_out) {
        DN(dnnl_reorder_primitive_desc_create(&pd, theirs, eng, ours, eng, NULL));
        DN(dnnl_primitive_create(&s->to_ours, pd));
        dnnl_primitive_desc_destroy(pd);
    }
}
static void slot_free(Slot *s) {
    if (!s->m_ours) return;
    if (!s->same) {
        dnnl_memory_destroy(s->m_theirs);
        if (s->to_theirs) dnnl_primitive_destroy(s->to_theirs);
        if (s->to_ours) dnnl_primitive_destroy(s->to_ours);
    }
    dnnl_memory_destroy(s->m_ours);
}
static void reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DN(dnnl_primitive_execute(r, stream(), 2, a));
}
static void slot_bind(Slot *s, const float *p) {
    DN(dnnl_memory_set_data_handle(s->m_ours, (void *)p));
    if (!s->same)
        DN(dnnl_memory_set_data_handle(s->m_theirs, staging(s->role, dnnl_memory_desc_get_size(&s->theirs))));
}
/* Make the primitive's copy of an input current. */
static dnnl_memory_t slot_in(Slot *s, const float *p) {
    slot_bind(s, p);
    if (!s->same) reorder(s->to_theirs, s->m_ours, s->m_theirs);
    return s->m_theirs;
}
/* Output: our buffer when layouts agree, else the staging buffer (copied back by slot_out_done). */
static dnnl_memory_t slot_out(Slot *s, float *p) {
    slot_bind(s, p);
    return s->m_theirs;
}
static void slot_out_done(Slot *s) {
    if (!s->same) reorder(s->to_ours, s->m_theirs, s->m_ours);
}

struct ConvPlan {
    ConvSpec cs;
    Dims in, out;
    dnnl_primitive_t fwd, bwd_d, bwd_w;
    Slot f_src, f_w, d_w, w_src, w_ddst, w_dw; /* layouts (and data types) wanted by each primitive */
    Slot d_dsrc, d_ddst;
    dnnl_memory_t f_dst, f_b, w_db;
    float *db_tmp;
    size_t wn;
    double sec[3]; /* forward, backward-data, backward-weights */
    int by_depth;  /* backward-weights tap by tap in depth (conv_bwdw_depth.c) */
    const char *impl[3];
};

/* Live plans, for the per-layer profile. */
static ConvPlan *live[256];
static int nlive;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static void md_t(dnnl_memory_desc_t *m, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag, dnnl_data_type_t t) {
    DN(dnnl_memory_desc_init_by_tag(m, nd, dims, t, tag));
}
static void md(dnnl_memory_desc_t *m, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
    md_t(m, nd, dims, tag, dnnl_f32);
}
static const dnnl_memory_desc_t *q(dnnl_primitive_desc_t pd, dnnl_query_t what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
}
static int is_ref(dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return impl && !strncmp(impl, "ref", 3);
}
static void report(const char *what, ConvPlan *p, dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    p->impl[what[0] == 'f' ? 0 : what[4] == 'd' ? 1 : 2] = impl; /* static strings inside oneDNN */
    if (!verbose_kernels) return;
    fprintf(stderr, "conv %d->%d k%d%d%d s%d%d%d in %dx%dx%dx%dx%d %s: %s\n", p->cs.cin, p->cs.cout, p->cs.k[0], p->cs.k[1],
            p->cs.k[2], p->cs.s[0], p->cs.s[1], p->cs.s[2], p->in.n, p->in.c, p->in.d, p->in.h, p->in.w, what, impl);
}

static ConvPlan *plan_with(const ConvSpec *cs, Dims in, int backward, int bf16) {
    ops_init(0);
    ConvPlan *p = xcalloc(1, sizeof *p);
    p->cs = *cs;
    p->in = in;
    p->out = conv_out_dims(cs, in);
    /* dnnl_dims_t is a fixed 12-element array; the API reads all of it. */
    dnnl_dims_t sd = {in.n, in.c, in.d, in.h, in.w}, dd = {p->out.n, p->out.c, p->out.d, p->out.h, p->out.w};
    dnnl_dims_t wd = {cs->cout, cs->cin, cs->k[0], cs->k[1], cs->k[2]}, bd = {cs->cout};
    dnnl_dims_t st = {cs->s[0], cs->s[1], cs->s[2]}, pad = {cs->p[0], cs->p[1], cs->p[2]};
    dnnl_memory_desc_t src, dst, w_plain, w_any, b, any_src, any_dst;
    dnnl_memory_desc_t src_in, dst_in, w_any_in, any_src_in, any_dst_in; /* the primitives' inputs */
    dnnl_format_tag_t blocked = block == 16 ? dnnl_nCdhw16c : dnnl_nCdhw8c;
    dnnl_format_tag_t src_tag = dims_block(in) > 1 ? blocked : dnnl_ncdhw, dst_tag = dims_block(p->out) > 1 ? blocked : dnnl_ncdhw;
    dnnl_data_type_t it = bf16 ? dnnl_bf16 : dnnl_f32;
    md(&src, 5, sd, src_tag);
    md(&dst, 5, dd, dst_tag);
    md(&w_plain, 5, wd, dnnl_oidhw);
    md(&w_any, 5, wd, dnnl_format_tag_any);
    md(&b, 1, bd, dnnl_x);
    md(&any_src, 5, sd, dnnl_format_tag_any);
    md(&any_dst, 5, dd, dnnl_format_tag_any);
    md_t(&src_in, 5, sd, src_tag, it);
    md_t(&dst_in, 5, dd, dst_tag, it);
    md_t(&w_any_in, 5, wd, dnnl_format_tag_any, it);
    md_t(&any_src_in, 5, sd, dnnl_format_tag_any, it);
    md_t(&any_dst_in, 5, dd, dnnl_format_tag_any, it);
    p->wn = (size_t)cs->cout * cs->cin * cs->k[0] * cs->k[1] * cs->k[2];

    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t fpd, dpd, wpd;
    DN(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &src_in, &w_any_in,
                                          cs->bias ? &b : NULL, &dst, st, pad, pad));
    DN(dnnl_primitive_desc_create(&fpd, &cd, NULL, eng, NULL));
    report("fwd", p, fpd);
    DN(dnnl_primitive_create(&p->fwd, fpd));
    slot_init(&p->f_src, &src, &src_in, ST_FWD_SRC, 1, 0);
    slot_init(&p->f_w, &w_plain, q(fpd, dnnl_query_weights_md), ST_FWD_W, 1, 0);
    DN(dnnl_memory_create(&p->f_dst, &dst, eng, DNNL_MEMORY_NONE));
    if (cs->bias) DN(dnnl_memory_create(&p->f_b, &b, eng, DNNL_MEMORY_NONE));

    if (backward >= 2) {
        /* Our layouts first; where oneDNN has only its reference kernel for them (strided
         * backward-data in the blocked layout), let it choose and re-lay out around the call. */
        DN(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src, &w_any_in, &dst_in, st, pad, pad));
        DN(dnnl_primitive_desc_create(&dpd, &cd, NULL, eng, fpd));
        if (is_ref(dpd)) {
            dnnl_primitive_desc_destroy(dpd);
            DN(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &any_src, &w_any_in, &any_dst_in, st, pad, pad));
            DN(dnnl_primitive_desc_create(&dpd, &cd, NULL, eng, fpd));
        }
        report("bwd_data", p, dpd);
        DN(dnnl_primitive_create(&p->bwd_d, dpd));
        slot_init(&p->d_w, &w_plain, q(dpd, dnnl_query_weights_md), ST_BWDD_W, 1, 0);
        slot_init(&p->d_dsrc, &src, q(dpd, dnnl_query_diff_src_md), ST_BWDD_DSRC, 0, 1);
        slot_init(&p->d_ddst, &dst, q(dpd, dnnl_query_diff_dst_md), ST_BWDD_DDST, 1, 0);
        dnnl_primitive_desc_destroy(dpd);
    }

    if (backward >= 1) {
        /* Backward-weights: let oneDNN choose every layout. Forcing nCdhw8c here selects a jit:avx2
         * kernel that hangs on this oneDNN version (see MEASUREMENTS.md). */
        DN(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &any_src_in, &w_any, cs->bias ? &b : NULL,
                                                       &any_dst_in, st, pad, pad));
        DN(dnnl_primitive_desc_create(&wpd, &cd, NULL, eng, fpd));
        report("bwd_weights", p, wpd);
        DN(dnnl_primitive_create(&p->bwd_w, wpd));
        slot_init(&p->w_src, &src, q(wpd, dnnl_query_src_md), ST_BWDW_SRC, 1, 0);
        slot_init(&p->w_ddst, &dst, q(wpd, dnnl_query_diff_dst_md), ST_BWDW_DDST, 1, 0);
        slot_init(&p->w_dw, &w_plain, q(wpd, dnnl_query_diff_weights_md), ST_BWDW_DW, 0, 1);
        staging(ST_DW, p->wn * sizeof(float));
        if (cs->bias) {
            p->db_tmp = xalloc_aligned(cs->cout * sizeof(float));
            DN(dnnl_memory_create(&p->w_db, &b, eng, p->db_tmp));
        }
        dnnl_primitive_desc_destroy(wpd);
    }
    dnnl_primitive_desc_destroy(fpd);
    /* Where oneDNN falls back to its im2col GEMM for backward-weights on a short output (layer4:
     * 2 frames, a third of the taps in the padding), computing tap by tap in depth is faster.
     * FEDVSSL_BWDW_BY_DEPTH=0 keeps oneDNN's. */
    const char *env = getenv("FEDVSSL_BWDW_BY_DEPTH");
    if (backward >= 1 && p->impl[2] && strstr(p->impl[2], "gemm") && p->out.d <= 2 && !cs->bias &&
        !(env && !strcmp(env, "0"))) {
        p->by_depth = 1;
        p->impl[2] = "own: by depth tap + sgemm";
    }
    if (env && !strcmp(env, "force") && backward >= 1 && !cs->bias) p->by_depth = 1; /* for tests */
    pthread_mutex_lock(&live_lock);
    if (nlive < 256) live[nlive++] = p;
    pthread_mutex_unlock(&live_lock);
    return p;
}

ConvPlan *conv_plan(const ConvSpec *cs, Dims in, int backward, int bf16) {
    ConvPlan *p = plan_with(cs, in, backward, bf16);
    /* bf16 where oneDNN has a fast kernel for it; a layer it would run on its reference kernel stays fp32 (none of
     * R3D-18's on AVX-512 BF16 do: FEDVSSL_VERBOSE=1 lists them; some small test shapes do) */
    for (int k = 0; bf16 && k < 3; k++)
        if (p->impl[k] && !strncmp(p->impl[k], "ref", 3)) {
            conv_plan_free(p);
            return plan_with(cs, in, backward, 0);
        }
    return p;
}

void conv_plan_free(ConvPlan *p) {
    if (!p) return;
    pthread_mutex_lock(&live_lock);
    for (int i = 0; i < nlive; i++)
        if (live[i] == p) live[i] = live[--nlive];
    pthread_mutex_unlock(&live_lock);
    dnnl_primitive_destroy(p->fwd);
    if (p->bwd_d) dnnl_primitive_destroy(p->bwd_d);
    if (p->bwd_w) dnnl_primitive_destroy(p->bwd_w);
    slot_free(&p->f_src);
    slot_free(&p->f_w);
    slot_free(&p->d_w);
    slot_free(&p->w_src);
    slot_free(&p->w_ddst);
    slot_free(&p->w_dw);
    dnnl_memory_destroy(p->f_dst);
    if (p->f_b) dnnl_memory_destroy(p->f_b);
    slot_free(&p->d_dsrc);
    slot_free(&p->d_ddst);
    if (p->w_db) dnnl_memory_destroy(p->w_db);
    free(p->db_tmp);
    free(p);
}

void conv_forward(ConvPlan *p, const float *x, const float *w, const float *b, float *y) {
    double t0 = now_sec();
    dnnl_exec_arg_t a[4];
    int n = 0;
    DN(dnnl_memory_set_data_handle(p->f_dst, y));
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, slot_in(&p->f_src, x)};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, slot_in(&p->f_w, w)};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, p->f_dst};
    if (p->cs.bias) {
        DN(dnnl_memory_set_data_handle(p->f_b, (void *)b));
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, p->f_b};
    }
    DN(dnnl_primitive_execute(p->fwd, stream(), n, a));
    DN(dnnl_stream_wait(stream()));
    p->sec[0] += now_sec() - t0;
    prof_sec[PROF_CONV_FWD] += now_sec() - t0;
}

void conv_backward_data(ConvPlan *p, const float *dy, const float *w, float *dx) {
    if (!p->bwd_d) die("internal: conv plan built without backward-data");
    double t0 = now_sec();
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, slot_in(&p->d_ddst, dy)},
                            {DNNL_ARG_WEIGHTS, slot_in(&p->d_w, w)},
                            {DNNL_ARG_DIFF_SRC, slot_out(&p->d_dsrc, dx)}};
    DN(dnnl_primitive_execute(p->bwd_d, stream(), 3, a));
    slot_out_done(&p->d_dsrc);
    DN(dnnl_stream_wait(stream()));
    p->sec[1] += now_sec() - t0;
    prof_sec[PROF_CONV_BWD_DATA] += now_sec() - t0;
}

void conv_backward_weights(ConvPlan *p, const float *x, const float *dy, float *dw, float *db) {
    if (!p->bwd_w) die("internal: conv plan built for inference only");
    double t0 = now_sec();
    if (p->by_depth) {
        conv_backward_weights_by_depth(&p->cs, p->in, x, dy, dw);
        p->sec[2] += now_sec() - t0;
        prof_sec[PROF_CONV_BWD_WEIGHTS] += now_sec() - t0;
        return;
    }
    dnnl_exec_arg_t a[4];
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, slot_in(&p->w_src, x)};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, slot_in(&p->w_ddst, dy)};
    float *dw_tmp = staging(ST_DW, p->wn * sizeof(float)); /* oneDNN overwrites; we accumulate */
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, slot_out(&p->w_dw, dw_tmp)};
    if (p->cs.bias) a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, p->w_db};
    DN(dnnl_primitive_execute(p->bwd_w, stream(), n, a));
    slot_out_done(&p->w_dw);
    DN(dnnl_stream_wait(stream()));
    /* Gradients accumulate (+=), as every backward in ops.h. */
    const float *t = dw_tmp;
#pragma omp parallel for simd
    for (size_t i = 0; i < p->wn; i++) dw[i] += t[i];
    if (p->cs.bias)
        for (int i = 0; i < p->cs.cout; i++) db[i] += p->db_tmp[i];
    p->sec[2] += now_sec() - t0;
    prof_sec[PROF_CONV_BWD_WEIGHTS] += now_sec() - t0;
}

void conv_profile_reset(void) {
    for (int i = 0; i < nlive; i++) memset(live[i]->sec, 0, sizeof live[i]->sec);
}

void conv_profile_print(double per) {
    printf("    per convolution, GFLOP/s (kernel) for forward | backward-data | backward-weights:\n");
    for (int i = 0; i < nlive; i++) {
        ConvPlan *p = live[i];
        if (p->sec[0] == 0) continue;
        double flop = 2.0 * p->wn * p->out.n * p->out.d * p->out.h * p->out.w * per;
        printf("    %3d->%-3d k%d%d%d s%d%d%d %2dx%3dx%3d", p->cs.cin, p->cs.cout, p->cs.k[0], p->cs.k[1], p->cs.k[2],
               p->cs.s[0], p->cs.s[1], p->cs.s[2], p->out.d, p->out.h, p->out.w);
        for (int k = 0; k < 3; k++)
            if (p->sec[k] > 0) printf(" | %6.1f (%s%s)", flop / p->sec[k] / 1e9, p->impl[k] ? p->impl[k] : "?",
                                      k == 2 && !p->by_depth && !(p->w_src.same && p->w_ddst.same) ? "+reorder" : "");
            else printf(" | %6s", "-");
        printf("\n");
    }
}
