/* fedvssl demo: the built-in small default job on synthetic data. Writes a synthetic UCF-101-style
 * dataset, prepares frame packs, partitions the train split among clients like the reference, and
 * runs a short federated CtP pre-training (FedVSSL strategy, in process) whose round checkpoints
 * NumPy reads by key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/args.h"
#include "../core/util.h"
#include "../data/annotations.h"
#include "../data/fsutil.h"
#include "../data/loader.h"
#include "../data/partition.h"
#include "../data/prepare.h"
#include "../data/synth.h"
#include "../fl/fl.h"
#include "../model/model.h"
#include "../nn/backend.h"
#include "commands.h"

int cmd_demo(int argc, char **argv) {
    const char *out = "outputs/demo", *device = "cpu";
    int classes = 5, per_class = 4, frames = 50, clients = 2, rounds = 2, steps = 2, batch = 4, threads = 0, seed = 7;
    Opt opts[] = {
        {"out", OPT_STR, &out, "output folder"},
        {"classes", OPT_INT, &classes, "synthetic classes"},
        {"videos-per-class", OPT_INT, &per_class, "synthetic videos per class"},
        {"frames", OPT_INT, &frames, "frames per synthetic video"},
        {"clients", OPT_INT, &clients, "clients to partition the train split among"},
        {"rounds", OPT_INT, &rounds, "federated rounds"},
        {"steps", OPT_INT, &steps, "local CtP steps per client and round (0 = a whole epoch)"},
        {"batch", OPT_INT, &batch, "clips per step"},
        {"seed", OPT_INT, &seed, "seed (data, partition, initialisation)"},
        {"threads", OPT_INT, &threads, "CPU threads (0 = all)"},
        {"device", OPT_STR, &device, "cpu, cuda or cuda:N"},
    };
    args_parse(argc, argv, "demo", "[options]", opts, sizeof opts / sizeof *opts);
    if (classes < 1 || per_class < 2 || frames < 16 || clients < 1 || steps < 0 || batch < 1 ||
        rounds < 1)
        die("demo: need classes >= 1, videos-per-class >= 2, frames >= 16, clients >= 1, rounds >= 1, batch >= 1");
    ops_set_threads(threads);
    const Backend *be = backend_by_name(device); /* a bad --device fails before any work */
    char *raw = path_join(out, "raw"), *data = path_join(out, "data/ucf101");
    char *ann_dir = path_join(data, "annotations"), *part_dir = path_join(ann_dir, "client_distribution");
    if (mkdir_p(out)) die("%s: cannot create: %m", out);
    double t0 = now_sec();

    printf("[1/4] synthetic UCF-101-style videos -> %s\n", raw);
    SynthOptions so = {raw, classes, per_class, frames, 320, 240, 5, 0, ops_threads(), (uint64_t)seed};
    if (synth_write(&so)) die("demo: synth failed");

    printf("[2/4] frame packs -> %s\n", data);
    PrepareOptions po = {"ucf101", raw, data, NULL, NULL, NULL, ops_threads(), 95, 0};
    PrepareStats ps;
    char err[1024];
    if (prepare_run(&po, &ps, err, sizeof err)) die("demo: prepare failed: %s", err);
    printf("      %d videos, %lld frames\n", ps.videos, ps.frames);

    printf("[3/4] partition train_split_1 among %d clients (seed 7, as the reference) -> %s\n", clients, part_dir);
    AnnList all = {0}, *cl = xcalloc(clients, sizeof(AnnList));
    char *train_json = path_join(ann_dir, "train_split_1.json");
    if (ann_load_json(train_json, &all, err, sizeof err)) die("%s", err);
    partition_iid(&all, clients, 7, cl);
    for (int c = 0; c < clients; c++) printf("      client_dist%d.json: %d videos\n", c + 1, cl[c].n);
    partition_write(part_dir, cl, clients);

    printf("[4/4] federated CtP pre-training: %d clients, %d rounds, %d local steps of batch %d, FedVSSL\n", clients,
           rounds, steps, batch);
    (void)be;
    char *run = path_join(out, "run");
    if (mkdir_p(run)) die("%s: cannot create: %m", run);
    FlConfig fc = {.data_dir = data, .partition_dir = "annotations/client_distribution", .run_dir = run,
                   .pool_size = clients, .rounds = rounds, .seed = seed, .fraction_fit = 1.0,
                   .min_fit_clients = clients, .min_available_clients = clients,
                   .strat = {STRAT_FEDVSSL, 0.9, 1}, .h = {0.01f, 0.9f, 1e-4f, 40.f}, /* spec §3.1, §2.5 */
                   .batch = batch, .threads = ops_threads(), .reseed_each_round = 1, .log_interval = 10,
                   .max_iters = steps, .device = device, .precision = "fp32", .fault = "none"};
    char *mpath = path_join(run, "metrics.jsonl");
    Metrics mx;
    if (metrics_open(&mx, mpath)) die("%s: cannot open: %m", mpath);
    Transport *t = transport_inproc(&fc, &mx);
    int rc = fl_server_run(&fc, t, &mx);
    t->close(t);
    metrics_close(&mx);
    if (rc) die("demo: the federated run stopped early");
    char *ckpt = fl_native_path(&fc, rounds);
    printf("saved %s (126 arrays by state-dict key, NumPy: np.load(path)[key]); metrics in %s; total %.1f s\n", ckpt,
           mpath, now_sec() - t0);
    free(ckpt), free(mpath), free(run);
    ann_free(&all);
    free(cl), free(raw), free(data), free(ann_dir), free(part_dir), free(train_json);
    return 0;
}
