/* Dataset preparation (spec §6): videos -> CtP frame packs zips/<Class>/<video>.zip (img_00001.jpg ..., stored)
 * and annotations/{train,test}_split_N.{txt,json}. */
#ifndef FEDVSSL_PREPARE_H
#define FEDVSSL_PREPARE_H
#include <stddef.h>

typedef struct {
    const char *dataset;    /* "ucf101", "hmdb51" or "k400" */
    const char *src;        /* downloaded folder */
    const char *out;        /* data dir: gets zips/ and annotations/ */
    const char *splits_dir; /* optional: where the split lists are (default: found under src) */
    const char *train_list, *test_list; /* k400: "name label" lists */
    int threads;
    int quality; /* JPEG quality (95 = cv2.imencode default) */
    int progress; /* print a progress line */
} PrepareOptions;

typedef struct {
    int videos, written, skipped, failed;
    int warned; /* written, but with fewer frames than the container declares or damaged packets (named) */
    long long frames;
    double seconds;
} PrepareStats;

/* Returns 0 when every video was prepared (or already was), 1 when some failed (each reported on stderr by
 * name), -1 on a setup error (message in err: missing split files, unwritable output, ...). */
int prepare_run(const PrepareOptions *o, PrepareStats *st, char *err, size_t errlen);

#endif
