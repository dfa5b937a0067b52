/* fedvssl prepare: videos -> frame packs + annotations (src/data/prepare.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/util.h"
#include "../data/fsutil.h"
#include "../data/prepare.h"
#include "commands.h"

int cmd_prepare(int argc, char **argv) {
    PrepareOptions o = {.dataset = "ucf101", .quality = 95, .progress = 1};
    o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: fedvssl prepare --dataset ucf101|hmdb51|k400 --src <downloaded folder> --out <data dir>\n"
                   "       [--splits <dir with the split lists>] [--threads N] [--quality 95] [--quiet]\n"
                   "       k400: --train-list <'name label' file> [--test-list <file>]\n"
                   "Decodes every frame of every listed video (FFmpeg) at native size and rate, JPEG-encodes it\n"
                   "(libjpeg-turbo, quality 95 like cv2.imencode) and writes <out>/zips/<Class>/<video>.zip\n"
                   "(img_00001.jpg..., stored) plus <out>/annotations/{train,test}_split_N.{txt,json}.\n"
                   "Videos are found by file name anywhere under --src (flat or in class folders). Re-running\n"
                   "skips finished packs. Exit status 1 if any video failed (each is named).\n");
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "dataset"))) o.dataset = v;
        else if ((v = opt_value(argc, argv, &i, "src"))) o.src = v;
        else if ((v = opt_value(argc, argv, &i, "out"))) o.out = v;
        else if ((v = opt_value(argc, argv, &i, "splits"))) o.splits_dir = v;
        else if ((v = opt_value(argc, argv, &i, "train-list"))) o.train_list = v;
        else if ((v = opt_value(argc, argv, &i, "test-list"))) o.test_list = v;
        else if ((v = opt_value(argc, argv, &i, "threads"))) {
            o.threads = atoi(v);
            if (o.threads < 1 || o.threads > 1024) die("prepare: --threads: expected 1..1024, got '%s'", v);
        } else if ((v = opt_value(argc, argv, &i, "quality"))) {
            o.quality = atoi(v);
            if (o.quality < 1 || o.quality > 100) die("prepare: --quality: expected 1..100, got '%s'", v);
        } else if (!strcmp(argv[i], "--quiet")) o.progress = 0;
        else die("prepare: unknown option '%s' (see --help)", argv[i]);
    }
    if (!o.src || !o.out) die("prepare: --src and --out are required (see --help)");
    PrepareStats st;
    char err[1024];
    int rc = prepare_run(&o, &st, err, sizeof err);
    if (rc < 0) die("prepare: %s", err);
    printf("prepare: %d videos: %d written (%lld frames), %d already done, %d failed; %.1f s (%.1f videos/s)\n",
           st.videos, st.written, st.frames, st.skipped, st.failed, st.seconds,
           st.seconds > 0 ? st.written / st.seconds : 0.0);
    return rc ? 1 : 0;
}
