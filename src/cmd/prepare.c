/* fedvssl prepare: videos -> frame packs + annotations (src/data/prepare.h). */
#include <stdio.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../data/prepare.h"
#include "commands.h"

static const char *or_null(const char *s) { return s[0] ? s : NULL; }

int cmd_prepare(int argc, char **argv) {
    PrepareOptions o = {0};
    int quiet;
    const CfgKey keys[] = {
        {"dataset", CFG_ENUM, &o.dataset, "ucf101", "ucf101|hmdb51|k400", 0, 0, "the dataset's layout"},
        {"src", CFG_STR, &o.src, "", NULL, 0, 0, "the downloaded folder (videos, flat or in class folders; split lists)"},
        {"out", CFG_STR, &o.out, "", NULL, 0, 0, "data dir: gets zips/ and annotations/"},
        {"splits", CFG_STR, &o.splits_dir, "", NULL, 0, 0, "folder of the split lists (\"\" = found under --src)"},
        {"train_list", CFG_STR, &o.train_list, "", NULL, 0, 0, "k400: 'name label' list"},
        {"test_list", CFG_STR, &o.test_list, "", NULL, 0, 0, "k400: 'name label' list"},
        {"threads", CFG_INT, &o.threads, "0", NULL, 0, 1024, "videos decoded at once (0 = one per core)"},
        {"quality", CFG_INT, &o.quality, "95", NULL, 1, 100, "JPEG quality (95 = cv2.imencode's default)"},
        {"quiet", CFG_BOOL, &quiet, "false", NULL, 0, 0, "no progress line"},
    };
    config_cli("prepare",
               "--dataset ucf101|hmdb51|k400 --src <downloaded folder> --out <data dir> [options]\n"
               "Decodes every frame of every listed video (FFmpeg) at native size and rate, JPEG-encodes it\n"
               "(libjpeg-turbo) and writes <out>/zips/<Class>/<video>.zip (img_00001.jpg..., stored) plus\n"
               "<out>/annotations/{train,test}_split_N.{txt,json}. Re-running skips finished packs.\n"
               "Exit status 1 if any video failed (each is named).",
               keys, (int)(sizeof keys / sizeof *keys), argc, argv, NULL, 0);
    o.progress = !quiet;
    if (!o.threads) o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (!o.src[0] || !o.out[0]) die("prepare: --src and --out are required (see --help)");
    o.splits_dir = or_null(o.splits_dir), o.train_list = or_null(o.train_list), o.test_list = or_null(o.test_list);
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
    config_free();
    return rc ? 1 : 0;
}
