/* fedvssl synth: a synthetic dataset in the UCF-101 download layout (see src/data/synth.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/util.h"
#include "../data/fsutil.h"
#include "../data/synth.h"
#include "commands.h"

static long num(const char *opt, const char *v, long lo, long hi) {
    char *e;
    long x = strtol(v, &e, 10);
    if (!*v || *e || x < lo || x > hi) die("synth: --%s: expected an integer in %ld..%ld, got '%s'", opt, lo, hi, v);
    return x;
}

int cmd_synth(int argc, char **argv) {
    SynthOptions o = {.classes = 10, .per_class = 10, .frames = 75, .width = 320, .height = 240, .quality = 5,
                      .seed = 1};
    o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: fedvssl synth --out <dir> [--classes 10] [--videos-per-class 10] [--frames 75]\n"
                   "                     [--size 320x240] [--quality 5] [--seed 1] [--flat] [--threads N]\n"
                   "Writes <dir>/UCF-101/<Class>/v_<Class>_gXX_cYY.avi (MPEG-4 Part 2, 25 fps; --flat: all in\n"
                   "<dir>/UCF101_raw/ as `unrar e` leaves them) and <dir>/ucfTrainTestlist/{classInd,trainlist01,\n"
                   "testlist01}.txt. A class is a kind of motion (slide, orbit, swing, pulse, bounce, zigzag, spin,\n"
                   "blink; beyond 10 classes the same at other speeds); textures, colours, shapes and the\n"
                   "background drift are random per video. Same seed, same files.\n");
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "out"))) o.out = v;
        else if ((v = opt_value(argc, argv, &i, "classes"))) o.classes = (int)num("classes", v, 1, 1000);
        else if ((v = opt_value(argc, argv, &i, "videos-per-class"))) o.per_class = (int)num("videos-per-class", v, 1, 10000);
        else if ((v = opt_value(argc, argv, &i, "frames"))) o.frames = (int)num("frames", v, 1, 100000);
        else if ((v = opt_value(argc, argv, &i, "quality"))) o.quality = (int)num("quality", v, 2, 31);
        else if ((v = opt_value(argc, argv, &i, "threads"))) o.threads = (int)num("threads", v, 1, 1024);
        else if ((v = opt_value(argc, argv, &i, "seed"))) o.seed = (uint64_t)num("seed", v, 0, 0x7fffffffffffffffL);
        else if ((v = opt_value(argc, argv, &i, "size"))) {
            if (sscanf(v, "%dx%d", &o.width, &o.height) != 2 || o.width < 16 || o.height < 16 || o.width > 4096 ||
                o.height > 4096 || o.width % 2 || o.height % 2)
                die("synth: --size: expected WxH with even sizes 16..4096, got '%s'", v);
        } else if (!strcmp(argv[i], "--flat")) o.flat = 1;
        else die("synth: unknown option '%s' (see --help)", argv[i]);
    }
    if (!o.out) die("synth: --out <dir> is required");
    double t0 = now_sec();
    if (synth_write(&o)) die("synth: failed (see above)");
    printf("synth: %d classes x %d videos (%d frames %dx%d) in %s, %.1f s\n", o.classes, o.per_class, o.frames,
           o.width, o.height, o.out, now_sec() - t0);
    return 0;
}
