/* fedvssl demo end to end at the smallest scale: exit 0, every stage's files, the summary table;
 * pass-through options reach their stage; bad options are one line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/util.h"
#include "../src/core/fsutil.h"
#include "cmdtest.h"
#include "golden.h"

static char root[64];

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    snprintf(root, sizeof root, "/tmp/fedvssl_demo_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp failed");
    double t0 = now_sec();
    char out[128], log[160], p[256];
    snprintf(out, sizeof out, "%s/demo", root);
    snprintf(log, sizeof log, "%s/demo.txt", root);
    int rc = sh("%s demo out=%s classes=3 videos_per_class=4 frames=40 rounds=1 local_steps=1 epochs=1 threads=2 "
                "quiet=true finetune.log_interval=1 >%s 2>&1",
                fedvssl_bin, out, log);
    char *t = slurp(log);
    CHECK(rc == 0, "demo exit %d: %s", rc, t);
    CHECK(strstr(t, "scaled down") && strstr(t, "clips 16x56x56"), "says what was scaled: %s", t);
    CHECK(strstr(t, "with federated pre-training") && strstr(t, "from scratch (random init)") && strstr(t, "top-1") &&
              strstr(t, "R@1"),
          "summary table");
    CHECK(strstr(t, "mean client loss per round: ") && strstr(t, "retrieve (random init)"), "round losses, stage times");
    /* the summary says whether the pretext task was learned, so a comparison of noise is never read as a verdict */
    CHECK(strstr(t, "held-out CtP loss per round (predicting zero motion on the same clips): ") &&
              (strstr(t, "read the comparison above as noise: 2 CtP steps") || strstr(t, "the pretext task is being learned")),
          "held-out losses and what they mean");
    free(t);
    const char *files[] = {"pretrain/fedvssl_results/round-1.npz",
                           "pretrain/metrics.jsonl", "init.npz", "finetune_pretrained/epoch_1.npz",
                           "finetune_pretrained/results.json", "finetune_scratch/results.json",
                           "retrieve_pretrained/retrieval.json", "retrieve_scratch/retrieval.json", "report.html"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        CHECK(is_file(p), "%s written", files[i]);
    }
    /* the report of the demo root: its five run folders on one page */
    snprintf(p, sizeof p, "%s/report.html", out);
    t = slurp(p);
    CHECK(strstr(t, " 5 run folders ") && strstr(t, "data-chart=\"overview-test\"") &&
              strstr(t, "data-chart=\"overview-recall\"") && strstr(t, "data-chart=\"r0-pretrain-loss\"") &&
              strstr(t, "<rect class=\"cell\""),
          "report.html of every stage");
    free(t);
    /* finetune.log_interval=1 reached the fine-tune: its config says so */
    snprintf(p, sizeof p, "%s/finetune_scratch/config.yaml", out);
    t = slurp(p);
    CHECK(strstr(t, "log_interval: 1\n") != NULL, "pass-through option in finetune's config.yaml");
    free(t);
    /* bad options: one line each, before any work */
    snprintf(p, sizeof p, "%s/err.txt", root);
    rc = sh("%s demo out=%s/bad finetune.nope=1 >/dev/null 2>%s", fedvssl_bin, root, p);
    t = slurp(p);
    snprintf(log, sizeof log, "%s/bad", root);
    CHECK(rc == 1 && strstr(t, "finetune.nope=1") && strstr(t, "unknown key 'nope'") && !is_dir(log),
          "a bad stage key is named before any work: %s", t);
    free(t);
    rc = sh("%s demo out=%s/bad pretrain.rounds=0 >/dev/null 2>%s", fedvssl_bin, root, p);
    t = slurp(p);
    CHECK(rc == 1 && strstr(t, "rounds=0") && !is_dir(log), "a bad stage value before any work: %s", t);
    free(t);
    rc = sh("%s demo clases=3 >/dev/null 2>%s", fedvssl_bin, p);
    t = slurp(p);
    CHECK(rc == 1 && strstr(t, "unknown key 'clases'") && strstr(t, "classes"), "a bad demo key: %s", t);
    free(t);
    printf("demo test %.1f s\n", now_sec() - t0);
    snprintf(p, sizeof p, "rm -rf %s", root);
    if (system(p)) fprintf(stderr, "could not remove %s\n", root);
    TEST_END();
}
