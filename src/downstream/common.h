/* Helpers the downstream jobs share (finetune, test, retrieve, export); not an interface of its own. */
#ifndef FEDVSSL_DOWNSTREAM_COMMON_H
#define FEDVSSL_DOWNSTREAM_COMMON_H
#include <stddef.h>
#include <stdint.h>

#include "../data/annotations.h"
#include "../data/loader.h"
#include "../io/npy.h"
#include "../model/model.h"

/* Dies unless d is an existing folder. */
void ds_check_data_dir(const char *d);
/* An annotation list that exists and is not empty (dies naming the file otherwise). */
void ds_load_list(const char *path, AnnList *l);
/* Labels of an annotation list: 1-based; returns the largest (dies on a label < 1). */
int ds_max_label(const AnnList *l, const char *path);
/* loader_open, dying with its message. */
Loader *ds_open_loader(const char *data_dir, const char *list, LoaderMode mode, int batch, uint64_t seed, int threads,
                       int fast_decode, int crop, double max_bad);
/* The folder part of a path ("." without one; xmalloc'ed). */
char *ds_dir_of(const char *path);
/* data.crop for test and retrieve: given (> 0) it must match the run's (the data.crop of the config.yaml beside the
 * checkpoint or one folder up); 0 takes the run's (112 without one). */
int ds_eval_crop(int given, const char *ckpt);
/* Class names from the "<Class>/<video>" entries of a list (names[label-1]; "" where none). */
char **ds_class_names(const AnnList *l, int C);
/* A file written whole or not at all (dies naming it). */
void ds_write_text(const char *path, const char *text, size_t n);
typedef struct {
    const char *name;
    NpyType t;
    int ndim;
    int64_t shape[2];
    const void *data;
} NpzItem;
void ds_write_npz(const char *path, const NpzItem *it, int n);
/* A TSN of the checkpoint's classes with every entry of it, on device. */
Model ds_model_from_checkpoint(const char *path, const char *device, const char *precision);

#endif
