/* Loader throughput: CtP clips/s (and per core), fine-tune and test-time videos/s, on a prepared data dir.
 * usage: bench_loader <data dir> <annotation json> [threads=1] [seconds=10] [mode=ctp|finetune|test|all]
 *        [--fast-idct] [--no-dct-scale] */
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

int main(int argc, char **argv) {
    if (argc < 3) die("usage: bench_loader <data dir> <annotation json> [threads] [seconds] [ctp|finetune|test|all]");
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    double secs = argc > 4 ? atof(argv[4]) : 10;
    const char *mode = argc > 5 ? argv[5] : "all";
    LoaderOptions opt = {.dct_scale = 1};
    for (int i = 6; i < argc; i++) {
        if (!strcmp(argv[i], "--fast-idct")) opt.fast_idct = 1;
        else if (!strcmp(argv[i], "--no-dct-scale")) opt.dct_scale = 0;
        else die("unknown option %s", argv[i]);
    }
    if (!strcmp(mode, "ctp") || !strcmp(mode, "all")) run(argv[1], argv[2], LOADER_CTP, "ctp", threads, secs, &opt);
    if (!strcmp(mode, "finetune") || !strcmp(mode, "all"))
        run(argv[1], argv[2], LOADER_FINETUNE, "finetune", threads, secs, &opt);
    if (!strcmp(mode, "test") || !strcmp(mode, "all")) run(argv[1], argv[2], LOADER_TEST, "test", threads, secs, &opt);
    return 0;
}
