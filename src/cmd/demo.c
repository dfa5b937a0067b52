/* fedvssl demo: the built-in small default job on synthetic data. Writes a synthetic UCF-101-style
 * dataset, prepares frame packs, partitions the train split among clients like the reference, and
 * runs CtP pre-training steps on client 1's share through the real data loader, then saves the
 * weights as a NumPy .npz (one array per PyTorch state-dict key). */
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
#include "../model/model.h"
#include "../nn/backend.h"
#include "commands.h"

int cmd_demo(int argc, char **argv) {
    const char *out = "outputs/demo", *device = "cpu";
    int classes = 5, per_class = 4, frames = 50, clients = 2, steps = 4, batch = 4, threads = 0, seed = 7;
    Opt opts[] = {
        {"out", OPT_STR, &out, "output folder"},
        {"classes", OPT_INT, &classes, "synthetic classes"},
        {"videos-per-class", OPT_INT, &per_class, "synthetic videos per class"},
        {"frames", OPT_INT, &frames, "frames per synthetic video"},
        {"clients", OPT_INT, &clients, "clients to partition the train split among"},
        {"steps", OPT_INT, &steps, "CtP training steps on client 1"},
        {"batch", OPT_INT, &batch, "clips per step"},
        {"seed", OPT_INT, &seed, "seed (data, partition, initialisation)"},
        {"threads", OPT_INT, &threads, "CPU threads (0 = all)"},
        {"device", OPT_STR, &device, "cpu, cuda or cuda:N"},
    };
    args_parse(argc, argv, "demo", "[options]", opts, sizeof opts / sizeof *opts);
    if (classes < 1 || per_class < 2 || frames < 16 || clients < 1 || steps < 0 || batch < 1)
        die("demo: need classes >= 1, videos-per-class >= 2, frames >= 16, clients >= 1, batch >= 1");
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

    printf("[4/4] CtP pre-training on client 1, %d steps of batch %d\n", steps, batch);
    char *c1 = path_join(part_dir, "client_dist1.json");
    Loader *L = loader_new(data, c1, LOADER_CTP, batch, (uint64_t)seed, ops_threads());
    Model m;
    model_init(&m, MODEL_CTP, 0);
    model_use_backend(&m, be);
    model_reset_parameters(&m, (uint64_t)seed);
    model_plan(&m, (Dims){batch, 3, 16, 112, 112}, 1);
    Hyper h = {0.01f, 0.9f, 1e-4f, 40.f}; /* spec §2.5 */
    int done = 0;
    for (int epoch = 0; done < steps; epoch++) {
        loader_epoch_begin(L, epoch);
        Batch b;
        while (done < steps && loader_next(L, &b)) {
            double ts = now_sec();
            double norm = model_train_step(&m, b.imgs, b.gt_trajs, b.gt_weights, NULL, h, done == 0);
            printf("      step %d (epoch %d): loss %.4f (ctr %.4f, size %.4f), grad norm %.2f, %.2f s\n", done + 1,
                   epoch + 1, m.loss, m.loss_ctr, m.loss_size, norm, now_sec() - ts);
            done++;
        }
    }
    loader_free(L);
    char *ckpt = path_join(out, "ctp_weights.npz");
    model_download_state(&m);
    state_save_npz(&m.st, ckpt);
    printf("saved %s (%d arrays, NumPy: np.load(path)[key]); total %.1f s\n", ckpt, m.st.n, now_sec() - t0);
    model_free(&m);
    ann_free(&all);
    free(cl), free(raw), free(data), free(ann_dir), free(part_dir), free(train_json), free(c1), free(ckpt);
    return 0;
}
