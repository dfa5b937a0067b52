/* fedvssl prepare on the HMDB-51 and Kinetics-400 input layouts (UCF-101 is covered end to end in
 * test_data_e2e.c), built from tiny synthetic videos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/data/annotations.h"
#include "../src/core/fsutil.h"
#include "../src/data/prepare.h"
#include "../src/data/synth.h"
#include "check.h"

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) die("%s: cannot write", path);
    fputs(text, f);
    fclose(f);
}

static int is_pack(const char *data, const char *name) {
    char p[600];
    snprintf(p, sizeof p, "%s/zips/%s.zip", data, name);
    return is_file(p);
}

int main(void) {
    char root[] = "/tmp/fedvssl_test_prepare_XXXXXX", src[128], data[128], splits[160], p[400], err[1024];
    if (!mkdtemp(root)) die("mkdtemp");
    snprintf(src, sizeof src, "%s/raw", root);
    /* 2 classes x 3 videos in class folders: Blink/..., Bounce/... (synth's first two class names) */
    SynthOptions so = {.out = src, .classes = 2, .per_class = 3, .frames = 20, .width = 160, .height = 120,
                       .quality = 8, .threads = 2, .seed = 3};
    CHECK(synth_write(&so) == 0, "synth");
    char c0[64], c1[64];
    synth_class_name(0, c0, sizeof c0);
    synth_class_name(1, c1, sizeof c1);

    /* HMDB-51: <class>_test_split<N>.txt with "<video>.avi <0|1|2>" (1 train, 2 test, 0 unused);
     * classes numbered in sorted name order */
    snprintf(splits, sizeof splits, "%s/splits", root);
    mkdir_p(splits);
    for (int s = 1; s <= 3; s++) {
        char text[1024];
        snprintf(p, sizeof p, "%s/%s_test_split%d.txt", splits, c0, s);
        snprintf(text, sizeof text, "v_%s_g01_c01.avi 1 \nv_%s_g01_c02.avi 2 \nv_%s_g01_c03.avi 0 \n", c0, c0, c0);
        write_text(p, text);
        snprintf(p, sizeof p, "%s/%s_test_split%d.txt", splits, c1, s);
        snprintf(text, sizeof text, "v_%s_g01_c01.avi 2 \nv_%s_g01_c02.avi 1 \nv_%s_g01_c03.avi 1 \n", c1, c1, c1);
        write_text(p, text);
    }
    snprintf(data, sizeof data, "%s/hmdb", root);
    PrepareOptions po = {.dataset = "hmdb51", .src = src, .out = data, .splits_dir = splits, .threads = 2, .quality = 90};
    PrepareStats st;
    CHECK(prepare_run(&po, &st, err, sizeof err) == 0, "hmdb51 prepare: %s", err);
    CHECK(st.videos == 5 && st.written == 5 && st.failed == 0, "hmdb51: 5 listed videos prepared (%d, %d)", st.videos,
          st.written);
    AnnList tr = {0}, te = {0};
    snprintf(p, sizeof p, "%s/annotations/train_split_1.json", data);
    CHECK(!ann_load_json(p, &tr, err, sizeof err), "%s", err);
    snprintf(p, sizeof p, "%s/annotations/test_split_3.json", data);
    CHECK(!ann_load_json(p, &te, err, sizeof err), "%s", err);
    char want[256];
    snprintf(want, sizeof want, "%s/v_%s_g01_c01", c0, c0);
    CHECK(tr.n == 3 && te.n == 2 && !strcmp(tr.e[0].name, want) && tr.e[0].label == 1 && tr.e[1].label == 2,
          "hmdb51 splits: train %d, test %d, first %s label %lld", tr.n, te.n, tr.n ? tr.e[0].name : "-",
          tr.n ? (long long)tr.e[0].label : -1);
    snprintf(want, sizeof want, "%s/v_%s_g01_c03", c0, c0);
    CHECK(!is_pack(data, want), "hmdb51: a video marked 0 (unused) is not prepared");
    ann_free(&tr), ann_free(&te);

    /* Kinetics-400 style lists: "name label", videos found by file name under --src */
    char trl[200], tel[200], text[1024];
    snprintf(trl, sizeof trl, "%s/k400_train.txt", root);
    snprintf(tel, sizeof tel, "%s/k400_val.txt", root);
    snprintf(text, sizeof text, "%s/v_%s_g01_c01 7\n%s/v_%s_g01_c02 9\n", c0, c0, c1, c1);
    write_text(trl, text);
    snprintf(text, sizeof text, "%s/v_%s_g01_c03 9\n", c1, c1);
    write_text(tel, text);
    snprintf(data, sizeof data, "%s/k400", root);
    PrepareOptions pk = {.dataset = "k400", .src = src, .out = data, .train_list = trl, .test_list = tel, .threads = 2,
                         .quality = 90};
    CHECK(prepare_run(&pk, &st, err, sizeof err) == 0 && st.written == 3, "k400 prepare: %s (%d written)", err,
          st.written);
    snprintf(p, sizeof p, "%s/annotations/train_split_1.json", data);
    CHECK(!ann_load_json(p, &tr, err, sizeof err) && tr.n == 2 && tr.e[1].label == 9, "k400 train list kept (%s)", err);
    snprintf(want, sizeof want, "%s/v_%s_g01_c03", c1, c1);
    CHECK(is_pack(data, want), "k400: the test list's video is prepared");
    ann_free(&tr);
    PrepareOptions bad = pk;
    bad.train_list = NULL;
    CHECK(prepare_run(&bad, &st, err, sizeof err) < 0 && strstr(err, "--train-list"), "k400 without a list: %s", err);

    snprintf(p, sizeof p, "rm -rf %s", root);
    if (system(p)) fprintf(stderr, "could not remove %s\n", root);
    TEST_END();
}
