/* The two networks of the reference: the CtP pre-training model (R3D-18 in its pretrain layout +
 * CtP head, spec §1-2) and the TSN fine-tuning classifier (R3D-18 fine-tune layout + avgpool,
 * dropout, FC; spec §5). State names, shapes and order are PyTorch's state dict (Appendix A). */
#ifndef FEDVSSL_MODEL_H
#define FEDVSSL_MODEL_H
#include <stdint.h>

#include "../core/state.h"
#include "../nn/backend.h"
#include "../nn/ops.h"

typedef enum { MODEL_CTP, MODEL_TSN } ModelKind;

typedef struct {
    ConvSpec cs;
    int w, b; /* state indices (b = -1 without bias) */
    void *plan; /* the backend's */
} Conv;

typedef struct {
    int w, b, rm, rv, nbt; /* state indices */
    int c;
    float *mean, *invstd; /* batch statistics saved for backward (backend memory) */
} BN;

typedef struct {
    Conv c1, c2, dn;
    BN b1, b2, db;
    int has_down;
    Dims din, dout;
    float *x1, *y1, *x2, *xd, *out; /* conv1 out, relu(bn1), conv2 out, shortcut conv out, block out */
} Block;

typedef struct {
    float lr, momentum, weight_decay, clip; /* clip <= 0: no clipping */
} Hyper;

/* The CtP head (§2.3): parameters by state index; buffers on the backend, the *_h ones and target on the host,
 * where the loss runs. */
typedef struct {
    Conv tconv;
    int fc1_w, fc1_b, pred_w, pred_b;
    float *t_out, *rois, *roi_out, *h1, *pred, *dpred, *dh1, *droi;
    float *rois_h, *target, *pred_h, *dpred_h;
    int nroi; /* B x 3 trajectories */
} CtpHead;

/* The TSN head (§5): average pool, dropout, classifier. */
typedef struct {
    int fc_w, fc_b;
    float *pooled, *dropped, *logits, *dlogits, *dpool, *logits_h, *dlogits_h;
    uint8_t *mask;
} TsnHead;

typedef struct {
    ModelKind kind;
    State st;              /* host copy: names, shapes, checkpoints (see model_download_state) */
    const Backend *be;     /* where the model runs (default: CPU) */
    float *pw, *pg, *pm;   /* parameters, gradients, momentum on the backend (the host state's own
                              buffers on the CPU), laid out like st */
    Segment *segs;         /* the trainable entries of st (made by the first model_update) */
    int nsegs;
    int batch;           /* B */
    Dims din;            /* input [B,3,T,H,W] */
    int num_classes;     /* TSN */
    float dropout;       /* TSN, train mode */
    uint64_t dropout_seed; /* with dropout_step: every training forward draws a new mask, reproducibly */
    uint64_t dropout_step; /* training forwards so far (advanced by each); the next one's mask comes from
                              model_dropout_mask_seed(dropout_seed, dropout_step). Save it to resume a run. */
    int bn_recalibrate;  /* inference forwards normalise with the batch's statistics and fold them into the running
                            ones, every forward weighing the same (PyTorch's momentum=None): BN statistics
                            recomputed on other data. bn_recal_forwards counts them; reset both to stop */
    int bn_recal_forwards;
    int head_init_fan_in; /* model_reset_parameters draws the CtP head's linear layers N(0, 1/fan_in) instead of the
                             reference's N(0, 0.001^2) (a small-budget diagnostic: model.head_init=fan_in) */
    int planned;         /* buffers exist for din */
    int train_plan;      /* planned for training (activations kept for backward) */
    float *pool[3];      /* inference plan: activations rotate through these */
    void *arena, *host_arena; /* every buffer of the plan: one backend allocation, one host allocation */

    Conv stem;
    BN stem_bn;
    Block blk[8];
    float *stem_x, *stem_y;
    Dims dstem, dfeat;

    const float *imgs; /* the input of the last forward (backend memory) */
    float *input;      /* backend copy of the batch (non-CPU backends) */

    CtpHead ctp; /* MODEL_CTP */
    TsnHead tsn; /* MODEL_TSN */

    /* activation-gradient scratch */
    float *gA, *gB, *gT1, *gT2;

    /* last losses */
    float loss, loss_ctr, loss_size;
} Model;

/* Builds the state table (and allocates it) on the CPU backend. TSN: num_classes outputs. */
void model_init(Model *m, ModelKind kind, int num_classes);
/* Moves the model to a backend (parameters go along; plans and buffers are rebuilt). */
void model_use_backend(Model *m, const Backend *be);
/* Host state <-> backend parameters (no-ops on the CPU, where they are the same memory). Call
 * model_upload_state after changing m->st.w, model_download_state before reading it. */
void model_upload_state(Model *m);
void model_download_state(Model *m);
void model_download_grads(const Model *m, float *host);
void model_zero_grads(Model *m);
/* Reference initialisation (§1.4, §2.3.6, §5) from a seed (the CtP head per Model.head_init_fan_in). */
void model_reset_parameters(Model *m, uint64_t seed);
/* The state of a model kind without the model: its table (names, shapes, PyTorch order) allocated and zeroed,
 * and the initialisation above of such a state. */
void model_state_layout(State *s, ModelKind kind, int num_classes);
void state_reset_parameters(State *s, ModelKind kind, uint64_t seed, int head_init_fan_in);
/* Plans convolutions and activation buffers for input [B,3,T,H,W]; re-plans if the shape or the
 * purpose changes. train = 0 plans inference only: activations are not kept, so three shared
 * buffers do and model_backward is not available. */
void model_plan(Model *m, Dims in, int train);
void model_free(Model *m);

/* Forward of host images [B,3,T,H,W] (uploaded to the backend if it is not the CPU). train:
 * batch-norm batch statistics (updates running stats), dropout on. Outputs land in pred_h /
 * logits_h on the host. For CtP
 * gt_trajs [B,3,T,4] (x1,y1,x2,y2) and gt_weights [B,3,T] (may be NULL = ones) give the loss; for
 * TSN labels [B] (0-based, may be NULL in eval). Returns the loss (0 if no targets). */
float model_forward(Model *m, const float *imgs, const float *gt_trajs, const float *gt_weights, const int64_t *labels,
                    int train);
/* Seed of the dropout mask of training forward number `step` (0, 1, ...): seed + step * 0x9E3779B97F4A7C15
 * (mod 2^64; step 0 = the seed itself). Mask element i is kept when rng_uniform_at(mask seed, i) >= p: the
 * counter-based generator gives every step its own independent stream, the same on every backend. */
uint64_t model_dropout_mask_seed(uint64_t seed, uint64_t step);
/* Backward of the last training forward; ACCUMULATES into the gradients (m->pg). */
void model_backward(Model *m);
/* Zero grads, forward, backward, then model_update. Returns the gradient norm before clipping. */
double model_train_step(Model *m, const float *imgs, const float *gt_trajs, const float *gt_weights,
                        const int64_t *labels, Hyper h, int first);
/* Clip the gradients (m->pg) to h.clip (L2 over all; <= 0: no clipping) and take an SGD step
 * (first = the momentum buffer starts from the gradient, as PyTorch's first step). Returns the norm. */
double model_update(Model *m, Hyper h, int first);
/* CtP regression targets (§2.4): for R = B*3 trajectories of 16 frames gt [R,16,4] (x1,y1,x2,y2),
 * rois [R,5] = (b, frame-0 box) and target [R,16,4] = (dcx/0.8, dcy/0.8, dlog w/0.04, dlog h/0.04). */
void ctp_targets(const float *gt, int R, float *rois, float *target);
/* Multiply-accumulates of one forward per clip (for GFLOP/s figures; needs a plan). valid_only = 0:
 * the usual count (48.02 G for the CtP backbone, §1.7); 1: without the taps that fall in the
 * zero padding, i.e. the work a kernel must do (84 % of it for CtP). */
double model_macs_per_clip(const Model *m, int valid_only);

#endif
