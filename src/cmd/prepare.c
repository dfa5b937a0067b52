/* fedvssl prepare: videos -> frame packs + annotations (src/data/prepare.h). */
#include <stdio.h>
#include <unistd.h>

#include "../core/args.h"
#include "../core/util.h"
#include "../data/prepare.h"
#include "commands.h"

int cmd_prepare(int argc, char **argv) {
    PrepareOptions o = {.dataset = "ucf101", .quality = 95, .progress = 1};
    int quiet = 0;
    o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    Opt opts[] = {
        {"dataset", OPT_STR, &o.dataset, "ucf101, hmdb51 or k400"},
        {"src", OPT_STR, &o.src, "the downloaded folder (videos, flat or in class folders; split lists)"},
        {"out", OPT_STR, &o.out, "data dir: gets zips/ and annotations/"},
        {"splits", OPT_STR, &o.splits_dir, "folder of the split lists (default: found under --src)"},
        {"train-list", OPT_STR, &o.train_list, "k400: 'name label' list"},
        {"test-list", OPT_STR, &o.test_list, "k400: 'name label' list"},
        {"threads", OPT_INT, &o.threads, "videos decoded at once"},
        {"quality", OPT_INT, &o.quality, "JPEG quality (95 = cv2.imencode's default)"},
        {"quiet", OPT_FLAG, &quiet, "no progress line"},
    };
    args_parse(argc, argv, "prepare",
               "--dataset ucf101|hmdb51|k400 --src <downloaded folder> --out <data dir> [options]\n"
               "Decodes every frame of every listed video (FFmpeg) at native size and rate, JPEG-encodes it\n"
               "(libjpeg-turbo) and writes <out>/zips/<Class>/<video>.zip (img_00001.jpg..., stored) plus\n"
               "<out>/annotations/{train,test}_split_N.{txt,json}. Re-running skips finished packs.\n"
               "Exit status 1 if any video failed (each is named).",
               opts, sizeof opts / sizeof *opts);
    o.progress = !quiet;
    if (!o.src || !o.out) die("prepare: --src and --out are required (see --help)");
    if (o.threads < 1 || o.threads > 1024) die("prepare: --threads: expected 1..1024, got %d", o.threads);
    if (o.quality < 1 || o.quality > 100) die("prepare: --quality: expected 1..100, got %d", o.quality);
    PrepareStats st;
    char err[1024];
    int rc = prepare_run(&o, &st, err, sizeof err);
    if (rc < 0) die("prepare: %s", err);
    printf("prepare: %d videos: %d written (%lld frames), %d already done, %d failed; %.1f s (%.1f videos/s)\n",
           st.videos, st.written, st.frames, st.skipped, st.failed, st.seconds,
           st.seconds > 0 ? st.written / st.seconds : 0.0);
    if (st.warned)
        printf("prepare: %d written video(s) decoded only in part (named above): their packs hold the frames "
               "that could be decoded\n", st.warned);
    return rc ? 1 : 0;
}
