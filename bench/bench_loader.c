/* Loader throughput: CtP clips/s (and per core), fine-tune and test-time videos/s, on a prepared data dir.
 * usage: bench_loader <data dir> <annotation json> [threads=1] [seconds=10] [mode=ctp|finetune|test|all]
 *        [--fast-decode] [--fast-idct] [--all-rows] [--compare N]
 * Default: the reference pipeline (full-size JPEG decode, then the bilinear resize). --fast-decode: the opt-in
 * DCT-scaled decode. --compare N: instead of timing, the mean and largest difference (grey levels, 0-255) between
 * the clips of the chosen options and those of the default full-size decode, over N samples per mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../src/core/util.h"
#include "../src/data/loader.h"

/* CPU seconds of the whole process (all loader threads): clips per CPU-second is the per-core figure even
 * when other jobs share the machine. */
static double cpu_sec(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static void run(const char *dir, const char *ann, LoaderMode mode, const char *name, int threads, double secs,
                const LoaderOptions *opt) {
    char err[1024];
    int B = mode == LOADER_TEST ? 1 : 4;
    Loader *L = loader_open(dir, ann, mode, B, 7, threads, opt, err, sizeof err);
    if (!L) die("%s", err);
    Batch b;
    long clips = 0;
    int epoch = 0;
    loader_next(L, &b); /* warm-up: first batch (thread start, page cache) not timed */
    double t0 = now_sec(), c0 = cpu_sec(), t;
    for (;;) {
        if (!loader_next(L, &b)) {
            loader_epoch_begin(L, ++epoch);
            continue;
        }
        clips += b.n * b.clips;
        if ((t = now_sec() - t0) > secs) break;
    }
    double vids = clips / (double)(mode == LOADER_TEST ? 10 : 1);
    double cpu = cpu_sec() - c0;
    printf("%-9s threads %d: %8.1f clips/s wall  %7.1f clips per CPU-second  (%.1f videos/s, %ld clips in %.1f s, "
           "%.1f CPU-s)\n", name, threads, clips / t, clips / cpu, vids / t, clips, t, cpu);
    fflush(stdout);
    loader_free(L);
}

/* Differences of clip values back in grey levels: |dv| * std * 255 (ImageNet std per RGB channel). */
static void compare(const char *dir, const char *ann, LoaderMode mode, const char *name, int n,
                    const LoaderOptions *opt) {
    static const float sd[3] = {0.229f, 0.224f, 0.225f};
    char err[1024];
    LoaderOptions full = {0};
    Loader *A = loader_open(dir, ann, mode, 1, 7, 1, &full, err, sizeof err);
    Loader *F = A ? loader_open(dir, ann, mode, 1, 7, 1, opt, err, sizeof err) : NULL;
    if (!A || !F) die("%s", err);
    int clips = mode == LOADER_TEST ? 10 : 1;
    size_t plane = 112 * 112, per_c = (size_t)16 * plane, nv = (size_t)clips * 3 * per_c;
    float *a = xmalloc(nv * sizeof(float)), *f = xmalloc(nv * sizeof(float)), tr[3 * 16 * 4], tw[3 * 16];
    double sum = 0, mx = 0, cnt = 0, samples_differ = 0;
    int N = loader_num_samples(A);
    for (int k = 0; k < n; k++) {
        if (loader_sample(A, k / N, k % N, k % N, a, tr, tw, err, sizeof err) ||
            loader_sample(F, k / N, k % N, k % N, f, tr, tw, err, sizeof err))
            die("%s", err);
        double s1 = 0;
        for (size_t i = 0; i < nv; i++) {
            int c = (int)(i / per_c % 3);
            double d = fabs((double)a[i] - f[i]) * sd[c] * 255;
            s1 += d, mx = d > mx ? d : mx;
        }
        sum += s1, cnt += nv, samples_differ += s1 > 0;
    }
    printf("%-9s vs full decode: mean |diff| %.3f grey levels, max %.1f, %.0f of %d samples differ\n", name,
           sum / cnt, mx, samples_differ, n);
    fflush(stdout);
    free(a), free(f);
    loader_free(A), loader_free(F);
}

int main(int argc, char **argv) {
    if (argc < 3) die("usage: bench_loader <data dir> <annotation json> [threads] [seconds] [ctp|finetune|test|all]");
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    double secs = argc > 4 ? atof(argv[4]) : 10;
    const char *mode = argc > 5 ? argv[5] : "all";
    LoaderOptions opt = {0};
    int ncompare = 0;
    for (int i = 6; i < argc; i++) {
        if (!strcmp(argv[i], "--fast-decode")) opt.fast_decode = 1;
        else if (!strcmp(argv[i], "--fast-idct")) opt.fast_idct = 1;
        else if (!strcmp(argv[i], "--all-rows")) opt.all_rows = 1;
        else if (!strcmp(argv[i], "--compare") && i + 1 < argc) ncompare = atoi(argv[++i]);
        else die("unknown option %s", argv[i]);
    }
    printf("decode: %s%s%s\n", opt.fast_decode ? "DCT-scaled (--fast-decode)" : "full size (default)",
           opt.fast_idct ? ", IFAST IDCT" : "", opt.all_rows ? ", all rows" : ", crop window only");
    static const struct { const char *name; LoaderMode m; } modes[3] = {
        {"ctp", LOADER_CTP}, {"finetune", LOADER_FINETUNE}, {"test", LOADER_TEST}};
    for (int k = 0; k < 3; k++) {
        if (strcmp(mode, modes[k].name) && strcmp(mode, "all")) continue;
        if (ncompare) compare(argv[1], argv[2], modes[k].m, modes[k].name, ncompare, &opt);
        else run(argv[1], argv[2], modes[k].m, modes[k].name, threads, secs, &opt);
    }
    return 0;
}
