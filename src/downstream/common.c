/* What the downstream jobs share: lists, loaders, folders, the clip side of a run, result files. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/fsutil.h"
#include "../core/util.h"
#include "../model/checkpoint.h"

/* Labels of an annotation list: 1-based; returns the largest. */
int ds_max_label(const AnnList *l, const char *path) {
    int mx = 0;
    for (int i = 0; i < l->n; i++) {
        if (l->e[i].label < 1 || l->e[i].label > 1000000)
            die("%s: entry %d ('%s') has label %lld; labels are 1-based class ids", path, i + 1, l->e[i].name,
                (long long)l->e[i].label);
        if (l->e[i].label > mx) mx = (int)l->e[i].label;
    }
    return mx;
}

void ds_load_list(const char *path, AnnList *l) {
    char err[1024];
    memset(l, 0, sizeof *l);
    if (!is_file(path)) die("%s: no such annotation list", path);
    if (ann_load_json(path, l, err, sizeof err)) die("%s", err);
    if (l->n == 0) die("%s: the annotation list is empty", path);
}

Loader *ds_open_loader(const char *data_dir, const char *list, LoaderMode mode, int batch, uint64_t seed,
                       int threads, int fast_decode, int crop, double max_bad) {
    char err[1024];
    LoaderOptions lo = {.fast_decode = fast_decode, .crop = crop, .max_bad_fraction = max_bad};
    Loader *L = loader_open(data_dir, list, mode, batch, seed, threads, &lo, err, sizeof err);
    if (!L) die("%s", err);
    return L;
}

void ds_check_data_dir(const char *d) {
    if (!d[0]) die("data_dir is empty (data_dir=<data>/ucf101: the folder with zips/ and annotations/)");
    if (!is_dir(d)) die("data_dir=%s: no such folder (data_dir=<data>/ucf101: the folder with zips/ and annotations/)", d);
}

char *ds_dir_of(const char *path) {
    const char *sl = strrchr(path, '/');
    if (!sl) return xstrdup(".");
    if (sl == path) return xstrdup("/");
    char *d = xstrdup(path);
    d[sl - path] = 0;
    return d;
}

/* The clip side a checkpoint was trained at: data.crop of the config.yaml beside it (a finetune run's epoch_<e>.npz)
 * or one folder up (a pretrain run's fedvssl_results/round-<r>.npz); 0 when there is none. */
static int run_crop_of(const char *ckpt, char **cfg_used) {
    char *d = ds_dir_of(ckpt), *up = path_join(d, ".."), *cands[2] = {path_join(d, "config.yaml"), path_join(up, "config.yaml")};
    int crop = 0;
    for (int i = 0; i < 2 && !crop; i++) {
        char v[64];
        if (is_file(cands[i]) && config_yaml_lookup(cands[i], "data.crop", v, sizeof v) == 1) crop = atoi(v);
        if (crop && cfg_used) *cfg_used = xstrdup(cands[i]);
    }
    free(d), free(up), free(cands[0]), free(cands[1]);
    return crop;
}

/* data.crop for test and retrieve: given (> 0) it must match the run's; 0 takes the run's (112 without one). */
int ds_eval_crop(int given, const char *ckpt) {
    if (given && given < 32) die("data.crop=%d: must be >= 32 (or 0: the run's)", given);
    char *cfg = NULL;
    int run = ckpt && ckpt[0] ? run_crop_of(ckpt, &cfg) : 0;
    if (given && run && given != run)
        die("data.crop=%d, but %s was trained at data.crop=%d (%s): leave data.crop out to evaluate at the run's size",
            given, ckpt, run, cfg);
    free(cfg);
    return given ? given : run ? run : 112;
}

/* Class names from the "<Class>/<video>" entries of a list (names[label-1]; "" where none). */
char **ds_class_names(const AnnList *l, int C) {
    char **names = xcalloc((size_t)C, sizeof *names);
    for (int i = 0; i < l->n; i++) {
        int c = (int)l->e[i].label - 1;
        if (c < 0 || c >= C || names[c]) continue;
        const char *nm = l->e[i].name, *sl = strchr(nm, '/');
        size_t len = sl ? (size_t)(sl - nm) : 0;
        names[c] = xmalloc(len + 1);
        memcpy(names[c], nm, len);
        names[c][len] = 0;
    }
    for (int c = 0; c < C; c++)
        if (!names[c]) names[c] = xstrdup("");
    return names;
}

void ds_write_text(const char *path, const char *text, size_t n) {
    AtomicFile af;
    if (atomic_open(&af, path) || atomic_write(&af, text, n) || atomic_commit(&af)) die("%s: cannot write: %m", path);
}

void ds_write_npz(const char *path, const NpzItem *it, int n) {
    NpzWriter w;
    if (npz_writer_open(&w, path)) die("%s: cannot create: %m", path);
    for (int i = 0; i < n; i++)
        if (npz_writer_add(&w, it[i].name, it[i].t, it[i].ndim, it[i].shape, it[i].data)) {
            npz_writer_abort(&w);
            die("%s: write failed: %m", path);
        }
    if (npz_writer_close(&w)) die("%s: write failed: %m", path);
}

Model ds_model_from_checkpoint(const char *path, const char *device, const char *precision) {
    int C = checkpoint_num_classes(path);
    Model m;
    model_init(&m, MODEL_TSN, C);
    model_load_state(&m, path);
    model_use_backend(&m, backend_for(device, precision));
    model_upload_state(&m);
    return m;
}

