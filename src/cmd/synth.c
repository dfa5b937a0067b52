/* fedvssl synth: a synthetic dataset in the UCF-101 download layout (see src/data/synth.h). */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../data/synth.h"
#include "commands.h"
#include "common_keys.h"

int cmd_synth(int argc, char **argv) {
    const char *out, *size;
    int classes, per_class, frames, quality, seed, flat, threads;
    const CfgKey keys[] = {
        {"out", CFG_STR, &out, "", NULL, 0, 0, "dataset root (required)"},
        {"classes", CFG_INT, &classes, "10", NULL, 1, 1000, "number of classes"},
        {"videos_per_class", CFG_INT, &per_class, "10", NULL, 1, 10000, "videos per class"},
        {"frames", CFG_INT, &frames, "75", NULL, 1, 100000, "frames per video (25 fps)"},
        {"size", CFG_STR, &size, "320x240", NULL, 0, 0, "WxH, even sizes 16..4096"},
        {"quality", CFG_INT, &quality, "5", NULL, 2, 31, "MPEG-4 quantiser"},
        {"seed", CFG_INT, &seed, "1", NULL, 0, INT_MAX, "same seed, same files"},
        {"flat", CFG_BOOL, &flat, "false", NULL, 0, 0, "all .avi in <out>/UCF101_raw/, as `unrar e` leaves UCF-101"},
        CFGK_THREADS("threads", &threads),
    };
    config_cli("synth",
               "--out <dir> [options]\n"
               "Writes <dir>/UCF-101/<Class>/v_<Class>_gXX_cYY.avi (MPEG-4 Part 2, 25 fps) and\n"
               "<dir>/ucfTrainTestlist/{classInd,trainlist01,testlist01}.txt. A class is a kind of motion (slide,\n"
               "orbit, swing, pulse, bounce, zigzag, spin, blink; beyond 10 classes the same at other speeds);\n"
               "textures, colours, shapes and the background drift are random per video. About 28 % of each class's\n"
               "videos (at least 1) form the test split: whole groups of 4 from 13 videos per class on, else single videos.",
               keys, (int)(sizeof keys / sizeof *keys), argc, argv, NULL, 0);
    if (!threads) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    SynthOptions o = {out, classes, per_class, frames, 0, 0, quality, flat, threads, (uint64_t)seed};
    if (!o.out[0]) die("synth: --out <dir> is required");
    if (sscanf(size, "%dx%d", &o.width, &o.height) != 2 || o.width < 16 || o.height < 16 || o.width > 4096 ||
        o.height > 4096 || o.width % 2 || o.height % 2)
        die("synth: --size: expected WxH with even sizes 16..4096, got '%s'", size);
    double t0 = now_sec();
    if (synth_write(&o)) die("synth: failed (see above)");
    printf("synth: %d classes x %d videos (%d frames %dx%d) in %s, %.1f s\n", o.classes, o.per_class, o.frames,
           o.width, o.height, o.out, now_sec() - t0);
    config_free();
    return 0;
}
