/* End to end on a tiny synthetic set: synth -> prepare (resume, corrupt video) -> partition -> loader in all three
 * modes (shapes, ranges, thread-count independence, and the test-time pipeline against a hand-built clip). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/core/fsutil.h"
#include "../src/data/image.h"
#include "../src/data/jpeg.h"
#include "../src/data/loader.h"
#include "../src/data/partition.h"
#include "../src/data/prepare.h"
#include "../src/data/synth.h"
#include "../src/data/transforms.h"
#include "../src/io/zip.h"
#include "check.h"

static char root[64], src[128], data[128];

/* Videos in the test split of a 1-class synth of n videos. */
static int synth_test_videos(int n) {
    char out[160], p[200];
    snprintf(out, sizeof out, "%s/split%d", root, n);
    SynthOptions so = {.out = out, .classes = 1, .per_class = n, .frames = 2, .width = 32, .height = 24,
                       .quality = 8, .threads = 2, .seed = 5};
    if (synth_write(&so)) return -1;
    snprintf(p, sizeof p, "%s/ucfTrainTestlist/testlist01.txt", out);
    FILE *f = fopen(p, "r");
    int lines = 0, ch;
    while (f && (ch = fgetc(f)) != EOF) lines += ch == '\n';
    if (f) fclose(f);
    return lines;
}

static void do_synth_prepare(void) {
    /* about 28 % in the test split: by video below 13 per class (6: 2, not a whole group of 4), by groups above */
    int t4 = synth_test_videos(4), t6 = synth_test_videos(6), t10 = synth_test_videos(10), t24 = synth_test_videos(24);
    CHECK(t4 == 1 && t6 == 2 && t10 == 3 && t24 == 8, "test split of 4, 6, 10, 24 videos: %d %d %d %d", t4, t6, t10, t24);
    snprintf(src, sizeof src, "%s/raw", root);
    snprintf(data, sizeof data, "%s/data", root);
    SynthOptions so = {.out = src, .classes = 3, .per_class = 4, .frames = 34, .width = 320, .height = 240,
                       .quality = 8, .threads = 2, .seed = 5, .flat = 1};
    CHECK(synth_write(&so) == 0, "synth");
    /* deterministic: a second synth with the same seed gives identical bytes */
    char other[160], a[300], b[300];
    snprintf(other, sizeof other, "%s/raw2", root);
    so.out = other, so.flat = 0;
    CHECK(synth_write(&so) == 0, "synth 2");
    snprintf(a, sizeof a, "%s/UCF101_raw/v_Orbit_g01_c02.avi", src);
    snprintf(b, sizeof b, "%s/UCF-101/Orbit/v_Orbit_g01_c02.avi", other);
    size_t la, lb;
    const char *e;
    uint8_t *ba = read_file(a, &la, &e), *bb = read_file(b, &lb, &e);
    CHECK(ba && bb && la == lb && !memcmp(ba, bb, la), "synth is deterministic (%s vs %s)", a, b);
    free(ba), free(bb);

    PrepareOptions po = {.dataset = "ucf101", .src = src, .out = data, .threads = 2, .quality = 95};
    PrepareStats st;
    char err[1024];
    CHECK(prepare_run(&po, &st, err, sizeof err) == 0, "prepare: %s", err);
    CHECK(st.videos == 12 && st.written == 12 && st.failed == 0 && st.frames == 12 * 34, "prepare stats %d %d %d %lld",
          st.videos, st.written, st.failed, st.frames);
    CHECK(prepare_run(&po, &st, err, sizeof err) == 0 && st.skipped == 12 && st.written == 0, "re-run skips finished packs");
    /* the pack holds every frame, stored, as JPEG of the native size */
    char zp[300];
    snprintf(zp, sizeof zp, "%s/zips/Orbit/v_Orbit_g01_c03.zip", data);
    ZipReader z;
    CHECK(zip_open(&z, zp, err, sizeof err) == 0, "open pack: %s", err);
    if (!z.n) return;
    CHECK(z.n == 34 && !strcmp(z.e[0].name, "img_00001.jpg") && !strcmp(z.e[33].name, "img_00034.jpg") &&
              z.e[5].method == 0, "pack layout");
    size_t len;
    int owned, w, h;
    const uint8_t *j = zip_read(&z, 0, &len, &owned, err, sizeof err);
    CHECK(j && !jpeg_size(j, len, &w, &h, err, sizeof err) && w == 320 && h == 240, "frame 320x240");
    zip_close(&z);
    /* annotations: UCF test list gets labels from the class name; json = txt */
    char ap[300];
    AnnList tr, te, tj;
    snprintf(ap, sizeof ap, "%s/annotations/train_split_1.txt", data);
    CHECK(!ann_load_txt(ap, 1, &tr, err, sizeof err), "%s", err);
    snprintf(ap, sizeof ap, "%s/annotations/test_split_1.txt", data);
    CHECK(!ann_load_txt(ap, 1, &te, err, sizeof err), "%s", err);
    snprintf(ap, sizeof ap, "%s/annotations/train_split_1.json", data);
    CHECK(!ann_load_json(ap, &tj, err, sizeof err), "%s", err);
    CHECK(tr.n == 9 && te.n == 3 && tj.n == 9, "split sizes train %d test %d", tr.n, te.n);
    ann_free(&tr), ann_free(&te), ann_free(&tj);

    /* a corrupt video is reported and skipped; the others are unaffected; exit status 1 */
    char bad[300], bad_src[160], bad_out[160];
    snprintf(bad_src, sizeof bad_src, "%s/raw2", root);
    snprintf(bad_out, sizeof bad_out, "%s/data2", root);
    snprintf(bad, sizeof bad, "%s/UCF-101/Orbit/v_Orbit_g01_c01.avi", bad_src);
    FILE *f = fopen(bad, "wb");
    fputs("RIFF....AVI garbage", f);
    fclose(f);
    po.src = bad_src, po.out = bad_out;
    fprintf(stderr, "(expected failure message follows)\n");
    CHECK(prepare_run(&po, &st, err, sizeof err) == 1 && st.failed == 1 && st.written == 11, "corrupt video: %d failed",
          st.failed);
}

/* 4 videos per class: 1 in the test split, 3 in the train split (9 videos) used here. */
static void do_loader(void) {
    char ann[300], err[1024], cdir[300];
    snprintf(ann, sizeof ann, "%s/annotations/train_split_1.json", data);
    AnnList all;
    CHECK(!ann_load_json(ann, &all, err, sizeof err), "%s", err);
    AnnList cl[2];
    partition_iid(&all, 2, 7, cl);
    snprintf(cdir, sizeof cdir, "%s/annotations/client_distribution", data);
    mkdir_p(cdir);
    char c1[400];
    snprintf(c1, sizeof c1, "%s/client_dist1.json", cdir);
    CHECK(!ann_write_json(c1, cl[0].e, cl[0].n) && cl[0].n == 4 && cl[1].n == 5, "partition 4 + 5");

    /* CtP on client 1: shapes, ranges, and identical batches with 1 and 3 threads */
    Loader *L1 = loader_open(data, c1, LOADER_CTP, 3, 11, 1, NULL, err, sizeof err);
    Loader *L3 = loader_open(data, c1, LOADER_CTP, 3, 11, 3, NULL, err, sizeof err);
    CHECK(L1 && L3, "open: %s", err);
    if (!L1 || !L3) return;
    CHECK(loader_num_samples(L1) == 4 && loader_iters_per_epoch(L1) == 2, "4 samples, 2 iterations of 3");
    size_t img_n = 3L * 3 * 16 * 112 * 112;
    float *keep = xmalloc(sizeof(float) * img_n);
    for (int epoch = 0; epoch < 2; epoch++) {
        loader_epoch_begin(L1, epoch);
        loader_epoch_begin(L3, epoch);
        Batch a, b;
        int it = 0;
        while (loader_next(L1, &a) > 0) {
            CHECK(loader_next(L3, &b) > 0, "same number of batches");
            CHECK(a.n == 3 && a.clips == 1, "full batches (padded)");
            CHECK(!memcmp(a.imgs, b.imgs, sizeof(float) * img_n) && !memcmp(a.gt_trajs, b.gt_trajs, sizeof(float) * 3 * 48 * 4),
                  "epoch %d batch %d: 1 thread == 3 threads", epoch, it);
            int finite = 1, range = 1;
            for (size_t i = 0; i < img_n; i++) finite &= isfinite(a.imgs[i]) && fabsf(a.imgs[i]) < 3.0f;
            for (int i = 0; i < 3 * 48; i++) {
                const float *g = a.gt_trajs + 4 * i;
                range &= g[0] >= 0 && g[0] <= g[2] && g[2] <= 112 && g[1] >= 0 && g[1] <= g[3] && g[3] <= 112 &&
                         a.gt_weights[i] == 1.f && g[0] == floorf(g[0]);
            }
            CHECK(finite && range, "values normalised, boxes integer inside 112x112, weights 1");
            for (int k = 0; k < 3; k++) CHECK(a.labels[k] >= 0 && a.labels[k] < 3, "0-based label");
            if (epoch == 0 && it == 0) memcpy(keep, a.imgs, sizeof(float) * img_n);
            if (epoch == 1 && it == 0) CHECK(memcmp(keep, a.imgs, sizeof(float) * img_n), "a new epoch gives new clips");
            it++;
        }
        CHECK(it == 2, "2 batches per epoch (%d)", it);
    }
    loader_free(L1), loader_free(L3);
    free(keep);

    /* fine-tune: one epoch over the 9 videos */
    Loader *F = loader_open(data, ann, LOADER_FINETUNE, 4, 3, 2, NULL, err, sizeof err);
    CHECK(F != NULL, "%s", err);
    Batch b;
    int n = 0;
    while (F && loader_next(F, &b) > 0) n += b.n;
    CHECK(n == 12, "fine-tune epoch = 3 padded batches of 4 (%d)", n);
    loader_free(F);

    /* decoding only the rows and columns the crop reads gives the same clips as decoding everything, with the
     * default full-size decode and with the opt-in DCT-scaled one */
    size_t clip_n = (size_t)3 * 16 * 112 * 112;
    float *ca = xmalloc(clip_n * sizeof(float)), *cc = xmalloc(clip_n * sizeof(float)), tr[3 * 16 * 4], tw8[3 * 16];
    for (int fast = 0; fast < 2; fast++)
        for (int mode = 0; mode < 2; mode++) {
            LoaderMode lm = mode ? LOADER_FINETUNE : LOADER_CTP;
            LoaderOptions rows_all = {.fast_decode = fast, .all_rows = 1}, rows_crop = {.fast_decode = fast};
            Loader *Ra = loader_open(data, ann, lm, 4, 3, 1, &rows_all, err, sizeof err);
            Loader *Rc = loader_open(data, ann, lm, 4, 3, 1, &rows_crop, err, sizeof err);
            CHECK(Ra && Rc, "%s", err);
            int same = 1, sampled = 0;
            for (int k = 0; Ra && Rc && k < 24; k++) {
                memset(ca, 0xff, clip_n * sizeof(float)), memset(cc, 0, clip_n * sizeof(float));
                sampled += !loader_sample(Ra, k / 9, k % 9, k % 9, ca, tr, tw8, err, sizeof err) &&
                           !loader_sample(Rc, k / 9, k % 9, k % 9, cc, tr, tw8, err, sizeof err);
                same &= !memcmp(ca, cc, clip_n * sizeof(float));
            }
            CHECK(sampled == 24 && same, "decoding only the crop window changes no pixel (24 %s clips, all three scales, %s decode)",
                  mode ? "fine-tune" : "CtP", fast ? "DCT-scaled" : "full-size");
            if (Ra) loader_free(Ra);
            if (Rc) loader_free(Rc);
        }
    /* the default is the full-size decode: a NULL option set and a zeroed one give the same clips, the fast one
     * other pixels */
    {
        LoaderOptions zero = {0}, fast = {.fast_decode = 1};
        Loader *Ln = loader_open(data, ann, LOADER_CTP, 4, 3, 1, NULL, err, sizeof err);
        Loader *Lz = loader_open(data, ann, LOADER_CTP, 4, 3, 1, &zero, err, sizeof err);
        Loader *Lf = loader_open(data, ann, LOADER_CTP, 4, 3, 1, &fast, err, sizeof err);
        CHECK(Ln && Lz && Lf, "%s", err);
        float *cf = xmalloc(clip_n * sizeof(float));
        if (Ln && Lz && Lf) {
            memset(ca, 0xff, clip_n * sizeof(float)), memset(cc, 0, clip_n * sizeof(float));
            CHECK(!loader_sample(Ln, 0, 0, 0, ca, tr, tw8, err, sizeof err) &&
                      !loader_sample(Lz, 0, 0, 0, cc, tr, tw8, err, sizeof err) &&
                      !loader_sample(Lf, 0, 0, 0, cf, tr, tw8, err, sizeof err),
                  "samples: %s", err);
            CHECK(!memcmp(ca, cc, clip_n * sizeof(float)), "NULL options = zeroed options (full decode)");
            CHECK(memcmp(ca, cf, clip_n * sizeof(float)), "fast_decode changes the pixels");
        }
        free(cf);
        loader_free(Ln), loader_free(Lz), loader_free(Lf);
    }
    /* a pack held in memory gives the worker's clip (what the frame-pack fuzzer drives) */
    {
        Loader *Lc = loader_open(data, ann, LOADER_CTP, 4, 3, 1, NULL, err, sizeof err);
        char zp[400];
        snprintf(zp, sizeof zp, "%s/zips/%s.zip", data, all.e[4].name);
        size_t plen;
        const char *re;
        uint8_t *pack = read_file(zp, &plen, &re);
        float tr2[3 * 16 * 4], tw2[3 * 16];
        CHECK(Lc && pack, "%s", Lc ? re : err);
        if (Lc && pack) {
            memset(cc, 0, clip_n * sizeof(float));
            int rc1 = loader_sample(Lc, 1, 6, 4, ca, tr, tw8, err, sizeof err);
            int rc2 = loader_sample_pack_mem(pack, plen, zp, LOADER_CTP, 3, 1, 6, NULL, cc, tr2, tw2, err, sizeof err);
            CHECK(rc1 == 0 && rc2 == 0 && !memcmp(ca, cc, clip_n * sizeof(float)) && !memcmp(tr, tr2, sizeof tr) &&
                      !memcmp(tw8, tw2, sizeof tw2),
                  "pack in memory = pack file: same clip and trajectories (%s)", err);
            CHECK(loader_sample_pack_mem(pack, plen - 1, "mem.zip", LOADER_CTP, 3, 1, 6, NULL, cc, tr2, tw2, err, sizeof err) &&
                      !strncmp(err, "mem.zip: ", 9),
                  "a truncated pack in memory is refused, named: %s", err);
        }
        free(pack);
        if (Lc) loader_free(Lc);
    }
    free(ca), free(cc);

    /* test: 10 clips per video; clip 0 of video 0 against a hand-built pipeline (full decode, resize, centre crop) */
    Loader *T = loader_open(data, ann, LOADER_TEST, 2, 3, 2, NULL, err, sizeof err); /* default: full decode */
    CHECK(T != NULL, "%s", err);
    int batches = 0, samples = 0;
    while (T && loader_next(T, &b) > 0) {
        CHECK(b.clips == 10, "10 clips");
        for (int k = 0; k < b.n; k++) CHECK(b.labels[k] == all.e[samples + k].label - 1, "labels in list order");
        if (batches == 0) {
            char zp[400];
            snprintf(zp, sizeof zp, "%s/zips/%s.zip", data, all.e[0].name);
            ZipReader z;
            if (zip_open(&z, zp, err, sizeof err)) die("%s", err);
            size_t len;
            int owned, w, h, idx[160];
            sample_clips_uniform(z.n, 10, 2, idx);
            const uint8_t *jp = zip_read(&z, idx[5], &len, &owned, err, sizeof err); /* clip 0, frame 5 */
            uint8_t *dec = NULL, *rs = xmalloc(171 * 128 * 3);
            size_t cap = 0;
            if (!jp || jpeg_decode_bgr(jp, len, NULL, &dec, &cap, &w, &h, err, sizeof err)) die("%s", err);
            resize_u8(dec, w, h, 3, rs, 171, 128);
            float worst = 0;
            static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
            for (int y = 0; y < 112; y++)
                for (int x = 0; x < 112; x++)
                    for (int c = 0; c < 3; c++) {
                        float want = (rs[((y + 8) * 171 + x + 29) * 3 + (2 - c)] / 255.f - mean[c]) / sd[c];
                        float got = b.imgs[(((long)c * 16 + 5) * 112 + y) * 112 + x];
                        worst = (float)max_err(worst, fabsf(got - want));
                    }
            CHECK(worst < 1e-5, "test clip = resize 171x128 + centre crop + normalise (max diff %g)", worst);
            free(dec), free(rs);
            zip_close(&z);
        }
        samples += b.n;
        batches++;
    }
    CHECK(batches == 5 && samples == 9, "test: 5 batches, 9 videos, last one short (%d, %d)", batches, samples);
    loader_free(T);

    /* bad inputs: a missing pack is named at open; a damaged pack stops the run with a message naming it */
    char badj[400];
    snprintf(badj, sizeof badj, "%s/bad.json", root);
    AnnEntry e = {"Nope/v_missing", 1};
    ann_write_json(badj, &e, 1);
    CHECK(!loader_open(data, badj, LOADER_CTP, 2, 1, 1, NULL, err, sizeof err) && strstr(err, "v_missing"),
          "missing pack: %s", err);
    char zp[400];
    snprintf(zp, sizeof zp, "%s/zips/%s.zip", data, all.e[1].name);
    size_t len;
    const char *re;
    uint8_t *zb = read_file(zp, &len, &re);
    for (size_t i = 2000; zb && i < len / 2; i++) zb[i] ^= 0x55; /* damage frame data: CRC errors */
    FILE *f = fopen(zp, "wb");
    fwrite(zb, 1, len, f);
    fclose(f);
    free(zb);
    char msgs[300];
    snprintf(msgs, sizeof msgs, "%s/damaged.log", root);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(msgs, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        Loader *X = loader_new(data, ann, LOADER_TEST, 1, 1, 1);
        for (int k = 0; k < 4; k++) /* loader_next reports the failure; the commands end with it */
            if (loader_next(X, &b) < 0) die("data loader: %s", loader_error(X));
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1, "damaged pack ends the run with exit 1 (status %d)", status);
    char *log = (char *)read_file(msgs, &len, &re);
    if (log) log = xrealloc(log, len + 1), log[len] = 0;
    CHECK(log && strstr(log, zp) && strstr(log, "CRC mismatch"), "the message names the pack and the problem: %s",
          log ? log : re);
    free(log);

    /* training skips it: another sample takes its place (the same one whatever the threads), it is counted once;
     * beyond max_bad_fraction the run stops */
    LoaderOptions lo = {.max_bad_fraction = 0.2};
    Loader *S1 = loader_open(data, ann, LOADER_FINETUNE, 3, 5, 1, &lo, err, sizeof err);
    Loader *S2 = loader_open(data, ann, LOADER_FINETUNE, 3, 5, 2, &lo, err, sizeof err);
    CHECK(S1 && S2, "open: %s", err);
    size_t ft_n = 3L * 3 * 16 * 112 * 112;
    int same = 1, nb = 0;
    for (int epoch = 0; S1 && S2 && epoch < 2; epoch++) {
        loader_epoch_begin(S1, epoch), loader_epoch_begin(S2, epoch);
        Batch x, y;
        while (loader_next(S1, &x) > 0) {
            same &= loader_next(S2, &y) > 0 && x.n == 3 && !memcmp(x.imgs, y.imgs, sizeof(float) * ft_n) &&
                    !memcmp(x.labels, y.labels, sizeof(int64_t) * 3);
            nb++;
        }
    }
    CHECK(same && nb == 6, "a damaged pack is skipped: full batches, 1 thread == 2 threads (%d batches)", nb);
    CHECK(S1 && loader_bad_samples(S1) == 1 && loader_bad_samples(S2) == 1, "counted once");
    loader_free(S1), loader_free(S2);
    char blog[400];
    snprintf(blog, sizeof blog, "%s/bad.log", root);
    fflush(NULL);
    pid = fork();
    if (pid == 0) { /* 1 bad sample of 9 is more than 0.1 allows */
        int fd = open(blog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        LoaderOptions strict = {.max_bad_fraction = 0.1};
        Loader *X = loader_open(data, ann, LOADER_CTP, 3, 5, 1, &strict, err, sizeof err);
        for (int k = 0; X && k < 4; k++)
            if (loader_next(X, &b) < 0) die("data loader: %s", loader_error(X));
        _exit(0);
    }
    waitpid(pid, &status, 0);
    uint8_t *lg = read_file(blog, &len, &re);
    lg = xrealloc(lg, len + 1);
    lg[len] = 0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1 && strstr((char *)lg, "1 of the 9 samples") &&
              strstr((char *)lg, "data.max_bad_fraction=0.1") && strstr((char *)lg, all.e[1].name),
          "beyond the limit: exit 1 naming the count, the key and the pack (status %d): %s", status, (char *)lg);
    free(lg);
    ann_free(&all), ann_free(&cl[0]), ann_free(&cl[1]);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/fedvssl_test_data_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp");
    do_synth_prepare();
    do_loader();
    scratch_done(root);
    TEST_END();
}
