/* fedvssl bench: seconds per training step of the CtP and TSN models and per 10-clip inference,
 * achieved GFLOP/s, the share of this CPU's measured FMA peak, and peak memory. */
#include <immintrin.h>
#include <limits.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/prof.h"
#include "../core/rng.h"
#include "../core/util.h"
#include "../model/model.h"
#include "../nn/backend.h"
#include "../nn/cpu/cpu_ops.h"
#include "commands.h"
#include "common_keys.h"

/* FP32 FMA throughput of all threads: twenty independent accumulator chains in registers, no
 * memory traffic, the widest vectors the build targets. Distinct starting values and runtime
 * constants keep the compiler from merging the chains. */
#if defined(__AVX512F__)
typedef __m512 vec;
#define VFMA _mm512_fmadd_ps
#define VSET _mm512_set1_ps
#define VLANES 16
#else
typedef __m256 vec;
#define VFMA _mm256_fmadd_ps
#define VSET _mm256_set1_ps
#define VLANES 8
#endif
#define CHAINS 20
static double measure_peak_gflops(void) {
    double best = 0;
    const long iters = 5000000;
    volatile float vb = 0.9999f, vc = 1e-7f;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_sec(), sink = 0;
#pragma omp parallel reduction(+ : sink)
        {
            vec a[CHAINS], b = VSET(vb), c = VSET(vc);
            for (int k = 0; k < CHAINS; k++) a[k] = VSET((float)(k + 1));
            for (long i = 0; i < iters; i++) {
#pragma GCC unroll 20
                for (int k = 0; k < CHAINS; k++) a[k] = VFMA(a[k], b, c);
            }
            float o[VLANES];
            for (int k = 0; k < CHAINS; k++) {
                memcpy(o, &a[k], sizeof o);
                sink += o[0];
            }
        }
        double dt = now_sec() - t0;
        double flops = (double)omp_get_max_threads() * iters * CHAINS * VLANES * 2;
        if (sink != 0 && flops / dt / 1e9 > best) best = flops / dt / 1e9;
    }
    return best;
}

typedef struct {
    double step_s, flop, flop_valid;
} Timing;

static void random_batch(float *imgs, size_t n, float *trajs, int64_t *labels, int B) {
    for (size_t i = 0; i < n; i++) imgs[i] = (float)(2.0 * rng_uniform_at(11, i) - 1.0);
    if (trajs)
        for (int r = 0; r < B * 3 * 16; r++) {
            float x = 10 + 60 * rng_uniform_at(12, r), y = 10 + 60 * rng_uniform_at(13, r);
            trajs[r * 4 + 0] = x, trajs[r * 4 + 1] = y, trajs[r * 4 + 2] = x + 32, trajs[r * 4 + 3] = y + 24;
        }
    if (labels)
        for (int i = 0; i < B; i++) labels[i] = i % 101;
}

/* sec: by op kind (prof_sec on the CPU; on a GPU the device's time from events); "other" is the rest of the wall
 * time (on a GPU: time the device waited for the host). */
static void print_profile(const double *sec, double total) {
    double sum = 0;
    for (int i = 0; i < PROF_N; i++) sum += sec[i];
    for (int i = 0; i < PROF_N; i++)
        if (sec[i] > 0) printf("    %-28s %7.3f s  %5.1f %%\n", prof_names[i], sec[i], 100 * sec[i] / total);
    printf("    %-28s %7.3f s  %5.1f %%\n", "other", total - sum, 100 * (total - sum) / total);
}

static const Backend *bench_backend;

static int bench_crop; /* --crop: clip side */

static Timing bench_train(ModelKind kind, int B, int steps, int warmup, int profile, double peak) {
    Model m;
    model_init(&m, kind, 101);
    model_use_backend(&m, bench_backend);
    model_reset_parameters(&m, 7);
    Dims in = {B, 3, 16, bench_crop, bench_crop};
    model_plan(&m, in, 1);
    size_t n = dims_numel(in);
    float *imgs = xalloc_aligned(n * sizeof(float)), *trajs = xmalloc((size_t)B * 3 * 16 * 4 * sizeof(float));
    int64_t *labels = xmalloc(B * sizeof(int64_t));
    random_batch(imgs, n, kind == MODEL_CTP ? trajs : NULL, kind == MODEL_TSN ? labels : NULL, B);
    Hyper h = {0.01f, 0.9f, kind == MODEL_CTP ? 1e-4f : 5e-4f, 40.f};
    double best = 1e30, total = 0;
    for (int i = 0; i < warmup + steps; i++) {
        if (i == warmup) {
            memset(prof_sec, 0, sizeof prof_sec), conv_profile_reset();
            if (profile && m.be->profile) m.be->profile(m.be, 1, NULL);
        }
        double t0 = now_sec();
        model_train_step(&m, imgs, trajs, NULL, labels, h, i == 0);
        m.be->sync(m.be);
        double dt = now_sec() - t0;
        if (i >= warmup) {
            total += dt;
            if (dt < best) best = dt;
        }
    }
    Timing t = {total / steps, 3 * 2 * model_macs_per_clip(&m, 0) * B, 3 * 2 * model_macs_per_clip(&m, 1) * B};
    printf("%s training step, batch %d: %.3f s/step (best %.3f), %.2f clips/s, %.1f GFLOP/s nominal, %.1f without "
           "padding taps (%.0f %% of peak), loss %.3f\n",
           kind == MODEL_CTP ? "CtP" : "TSN", B, t.step_s, best, B / t.step_s, t.flop / t.step_s / 1e9,
           t.flop_valid / t.step_s / 1e9, 100 * t.flop_valid / t.step_s / 1e9 / peak, m.loss);
    if (profile && m.be->profile) { /* asynchronous device: its own time per kind */
        double sec[PROF_N];
        m.be->profile(m.be, 0, sec);
        printf("    device time by op kind (events on the stream):\n");
        print_profile(sec, total);
    } else if (profile) {
        print_profile(prof_sec, total);
        conv_profile_print(steps);
    }
    free(imgs), free(trajs), free(labels);
    model_free(&m);
    return t;
}

static Timing bench_infer(int clips, int reps, double peak) {
    Model m;
    model_init(&m, MODEL_TSN, 101);
    model_use_backend(&m, bench_backend);
    model_reset_parameters(&m, 7);
    Dims in = {clips, 3, 16, bench_crop, bench_crop};
    model_plan(&m, in, 0);
    size_t n = dims_numel(in);
    float *imgs = xalloc_aligned(n * sizeof(float));
    random_batch(imgs, n, NULL, NULL, clips);
    model_forward(&m, imgs, NULL, NULL, NULL, 0); /* warm-up */
    double t0 = now_sec();
    for (int i = 0; i < reps; i++) model_forward(&m, imgs, NULL, NULL, NULL, 0);
    m.be->sync(m.be);
    Timing t = {(now_sec() - t0) / reps, 2 * model_macs_per_clip(&m, 0) * clips, 2 * model_macs_per_clip(&m, 1) * clips};
    printf("TSN inference, %d clips: %.3f s, %.2f clips/s, %.1f GFLOP/s nominal, %.1f without padding taps (%.0f %% of "
           "peak)\n",
           clips, t.step_s, clips / t.step_s, t.flop / t.step_s / 1e9, t.flop_valid / t.step_s / 1e9,
           100 * t.flop_valid / t.step_s / 1e9 / peak);
    free(imgs);
    model_free(&m);
    return t;
}

int cmd_bench(int argc, char **argv) {
    const char *what, *device, *precision;
    int batch, steps, warmup, threads, clips, profile;
    const CfgKey keys[] = {
        {"model", CFG_ENUM, &what, "all", "ctp|tsn|infer|all", 0, 0, "what to time"},
        {"batch", CFG_INT, &batch, "4", NULL, 1, 4096, "clips per training step"},
        {"crop", CFG_INT, &bench_crop, "112", NULL, 32, 512,
         "clip side (112 = the reference; data.crop of the other commands)"},
        {"steps", CFG_INT, &steps, "3", NULL, 1, INT_MAX, "timed steps"},
        {"warmup", CFG_INT, &warmup, "1", NULL, 0, INT_MAX, "untimed steps first"},
        {"clips", CFG_INT, &clips, "10", NULL, 1, 4096, "clips for the inference benchmark"},
        CFGK_THREADS("threads", &threads),
        {"profile", CFG_BOOL, &profile, "false", NULL, 0, 0, "time by op kind"},
        CFGK_DEVICE(&device),
        CFGK_PRECISION(&precision),
    };
    config_cli("bench", "[--model ctp|tsn|infer|all] [options]", keys, (int)(sizeof keys / sizeof *keys), argc, argv,
               NULL, 0);
    int all = !strcmp(what, "all");
    ops_set_threads(threads);
    ops_init(0);
    bench_backend = backend_for(device, precision);
    double peak = measure_peak_gflops();
    unsigned caps = bench_backend->caps;
    if ((caps & BE_HOST_MEMORY) && (caps & BE_BF16)) { /* vdpbf16ps: two bf16 products per fp32 lane where an FMA does one */
        printf("fedvssl bench: cpu, %d threads, bf16 peak 2 x the measured fp32 FMA peak %.1f = %.1f GFLOP/s\n",
               ops_threads(), peak, 2 * peak);
        peak *= 2;
    } else if (caps & BE_HOST_MEMORY)
        printf("fedvssl bench: cpu, %d threads, measured FMA peak %.1f GFLOP/s (fp32)\n", ops_threads(), peak);
    else
        printf("fedvssl bench: %s, %s (GPU figures: the CPU peak below does not apply)\n", device, precision);
    if (all || !strcmp(what, "ctp")) bench_train(MODEL_CTP, batch, steps, warmup, profile, peak);
    if (all || !strcmp(what, "tsn")) bench_train(MODEL_TSN, batch, steps, warmup, profile, peak);
    if (all || !strcmp(what, "infer")) bench_infer(clips, steps, peak);
    printf("peak memory (RSS): %.2f GiB\n", peak_rss_bytes() / (1024.0 * 1024 * 1024));
    config_free();
    return 0;
}
