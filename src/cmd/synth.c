/* fedvssl synth: a synthetic dataset in the UCF-101 download layout (see src/data/synth.h). */
#include <stdio.h>
#include <unistd.h>

#include "../core/args.h"
#include "../core/util.h"
#include "../data/synth.h"
#include "commands.h"

int cmd_synth(int argc, char **argv) {
    const char *out = NULL, *size = "320x240";
    int classes = 10, per_class = 10, frames = 75, quality = 5, seed = 1, flat = 0;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    Opt opts[] = {
        {"out", OPT_STR, &out, "dataset root (required)"},
        {"classes", OPT_INT, &classes, "number of classes (1..1000)"},
        {"videos-per-class", OPT_INT, &per_class, "videos per class"},
        {"frames", OPT_INT, &frames, "frames per video (25 fps)"},
        {"size", OPT_STR, &size, "WxH, even sizes 16..4096"},
        {"quality", OPT_INT, &quality, "MPEG-4 quantiser 2..31"},
        {"seed", OPT_INT, &seed, "same seed, same files"},
        {"flat", OPT_FLAG, &flat, "all .avi in <out>/UCF101_raw/, as `unrar e` leaves UCF-101"},
        {"threads", OPT_INT, &threads, "encoder threads"},
    };
    args_parse(argc, argv, "synth",
               "--out <dir> [options]\n"
               "Writes <dir>/UCF-101/<Class>/v_<Class>_gXX_cYY.avi (MPEG-4 Part 2, 25 fps) and\n"
               "<dir>/ucfTrainTestlist/{classInd,trainlist01,testlist01}.txt. A class is a kind of motion (slide,\n"
               "orbit, swing, pulse, bounce, zigzag, spin, blink; beyond 10 classes the same at other speeds);\n"
               "textures, colours, shapes and the background drift are random per video. About 28 % of each class's\n"
               "videos (at least 1) form the test split: whole groups of 4 from 13 videos per class on, else single videos.",
               opts, sizeof opts / sizeof *opts);
    SynthOptions o = {out, classes, per_class, frames, 0, 0, quality, flat, threads, (uint64_t)seed};
    if (!o.out) die("synth: --out <dir> is required");
    if (classes < 1 || classes > 1000) die("synth: --classes: expected 1..1000, got %d", classes);
    if (per_class < 1 || per_class > 10000) die("synth: --videos-per-class: expected 1..10000, got %d", per_class);
    if (frames < 1 || frames > 100000) die("synth: --frames: expected 1..100000, got %d", frames);
    if (quality < 2 || quality > 31) die("synth: --quality: expected 2..31, got %d", quality);
    if (threads < 1 || threads > 1024) die("synth: --threads: expected 1..1024, got %d", threads);
    if (seed < 0) die("synth: --seed must be >= 0");
    if (sscanf(size, "%dx%d", &o.width, &o.height) != 2 || o.width < 16 || o.height < 16 || o.width > 4096 ||
        o.height > 4096 || o.width % 2 || o.height % 2)
        die("synth: --size: expected WxH with even sizes 16..4096, got '%s'", size);
    double t0 = now_sec();
    if (synth_write(&o)) die("synth: failed (see above)");
    printf("synth: %d classes x %d videos (%d frames %dx%d) in %s, %.1f s\n", o.classes, o.per_class, o.frames,
           o.width, o.height, o.out, now_sec() - t0);
    return 0;
}
