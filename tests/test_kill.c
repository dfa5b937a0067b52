/* Crash safety (issue: nothing lost): `pretrain` and `finetune` are killed with SIGKILL at pseudo-random
 * moments (a fixed seed, so a failure can be replayed; the delays are printed), each time the run folder
 * must hold only complete checkpoints (every one reads back whole), and continuing the run until it is
 * done must end with the uninterrupted run's files byte for byte. A file-size limit (ulimit -f, the
 * "full disk" a test can make without privileges) must end the run with a clear error and leave the
 * last checkpoint intact. Small and fast: 2 clients x 3 rounds of 1 step, 16x32x32 clips. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/core/fsutil.h"
#include "../src/io/ckpt.h"
#include "../src/io/npy.h"
#include "cmdtest.h"
#include "golden.h"

static char root[64], data[128], pre[1024], ft[1024];

static void setup(void) {
    snprintf(data, sizeof data, "%s/data", root);
    CHECK(sh("%s synth --out %s/raw --classes 2 --videos-per-class 4 --frames 20 --size 96x72 --seed 3 >/dev/null",
             fedvssl_bin, root) == 0, "synth");
    CHECK(sh("%s prepare --dataset ucf101 --src %s/raw --out %s --quiet", fedvssl_bin, root, data) == 0, "prepare");
    CHECK(sh("%s partition --json-path %s/annotations --output-path %s/annotations/client_distribution --num-clients 2 "
             ">/dev/null",
             fedvssl_bin, data, data) == 0, "partition");
    snprintf(pre, sizeof pre,
             "pretrain data_dir=%s pool_size=2 rounds=3 strategy.min_fit_clients=2 strategy.min_available_clients=2 "
             "data.batch=2 data.threads=2 data.crop=32 max_iters=1 quiet=true checkpoint.format=both checkpoint.keep_every=1",
             data);
    snprintf(ft, sizeof ft,
             "finetune data_dir=%s epochs=3 max_iters=2 data.batch=2 data.threads=2 data.crop=32 log_interval=1 quiet=true",
             data);
}

/* Every checkpoint in dir (and its client<N>/ folders) reads back whole; temporary files of interrupted
 * writes are allowed (the next start removes them). Returns the number of checkpoints seen. */
static int check_complete(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char *p = path_join(dir, de->d_name);
        size_t l = strlen(de->d_name);
        char err[1024];
        if (depth < 2 && is_dir(p)) n += check_complete(p, depth + 1);
        else if (!strstr(de->d_name, ".tmp.") && l > 4 && !strcmp(de->d_name + l - 4, ".npz")) {
            int rc, entries;
            if (strstr(de->d_name, "-weights.array.npz")) { /* the pickled list, parsed whole */
                CkptList c;
                rc = ckpt_read(p, &c, err, sizeof err);
                entries = rc ? 0 : c.n;
                if (!rc) ckpt_free(&c);
            } else { /* named arrays: every member read, CRC checked */
                Npz z;
                rc = npz_open(&z, p, err, sizeof err);
                entries = rc ? 0 : z.n;
                if (!rc) npz_close(&z);
            }
            CHECK(rc == 0 && entries > 0, "complete checkpoint %s: %s", p, rc ? err : "");
            n++;
        }
        free(p);
    }
    closedir(d);
    return n;
}

static int temps_in(const char *dir) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "find %s -name '*.tmp.*' | grep -q .", dir);
    return system(cmd) == 0;
}

static double run_time(const char *args) {
    double t0 = now_sec();
    CHECK(sh("%s %s >/dev/null", fedvssl_bin, args) == 0, "uninterrupted: %s", args);
    return now_sec() - t0;
}

/* Starts the command, SIGKILLs it after `delay` seconds; returns 1 if it was killed (0: it finished first). */
static int start_and_kill(const char *args, double delay) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "exec %s %s >/dev/null 2>&1", fedvssl_bin, args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    double t0 = now_sec();
    int status;
    while (now_sec() - t0 < delay) {
        if (waitpid(pid, &status, WNOHANG) == pid) return 0;
        usleep(2000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
}

static uint64_t lcg = 20261202;
static double frand(void) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

/* Kills the job `kills` times at random moments of its (measured) duration, checking the folder after
 * each, then lets it finish; the named files must equal the uninterrupted run's. */
static void kill_loop(const char *what, const char *args_fmt, const char *ref, const char *dir, const char **files,
                      int nfiles, int kills, double span) {
    char args[4096];
    int killed = 0;
    printf("%s: kills at", what);
    for (int k = 0; k < kills; k++) {
        double delay = 0.05 + frand() * 0.6 * span; /* a restarted run has less left to do */
        snprintf(args, sizeof args, args_fmt, dir);
        printf(" %.2fs", delay);
        fflush(stdout);
        killed += start_and_kill(args, delay);
        check_complete(dir, 0);
    }
    printf(" (%d of %d killed before the end)\n", killed, kills);
    CHECK(killed >= kills / 2, "%s: most kills landed mid-run (%d of %d)", what, killed, kills);
    snprintf(args, sizeof args, args_fmt, dir);
    CHECK(sh("%s %s >/dev/null", fedvssl_bin, args) == 0, "%s: continued to the end", what);
    CHECK(!temps_in(dir), "%s: no unfinished files left after the run completes", what);
    for (int i = 0; i < nfiles; i++) {
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%s", ref, files[i]);
        snprintf(b, sizeof b, "%s/%s", dir, files[i]);
        CHECK(same_file(a, b), "%s: %s equals the uninterrupted run's", what, files[i]);
    }
}

/* With a file-size limit below a checkpoint's size the next checkpoint cannot be written: exit 1, the
 * message names the problem, the previous checkpoint is untouched and no partial file stays. */
static void full_disk(const char *what, const char *args, const char *dir, const char *last, const char *ref_last,
                      const char *next) {
    char errf[256], a[1200];
    snprintf(errf, sizeof errf, "%s/full.err", root);
    int rc = sh("ulimit -f 20000; %s %s >/dev/null 2>%s", fedvssl_bin, args, errf); /* 20 MB per file */
    char *e = slurp(errf);
    CHECK(rc == 1 && strstr(e, "File too large"), "%s with ulimit -f: exit %d, a clear error: %s", what, rc, e);
    free(e);
    snprintf(a, sizeof a, "%s/%s", dir, last);
    CHECK(same_file(a, ref_last), "%s: the last checkpoint %s is intact", what, last);
    snprintf(a, sizeof a, "%s/%s", dir, next);
    CHECK(!is_file(a) && !temps_in(dir), "%s: no %s and no partial file", what, next);
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    snprintf(root, sizeof root, "/tmp/fedvssl_kill_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp failed");
    setup();
    char args[4096], ref[256], dir[256], fmt[4096];

    /* pretrain */
    snprintf(ref, sizeof ref, "%s/pre_ref", root);
    snprintf(args, sizeof args, "%s out=%s", pre, ref);
    double t = run_time(args);
    printf("uninterrupted pretrain: %.1f s\n", t);
    const char *pf[] = {"fedvssl_results/round-3.npz", "fedvssl_results/round-3-weights.array.npz",
                        "fedvssl_results/client1/state_round3.npz", "fedvssl_results/client2/state_round3.npz"};
    snprintf(dir, sizeof dir, "%s/pre_killed", root);
    snprintf(fmt, sizeof fmt, "%s out=%%s", pre); /* out= of an existing run continues it, as resume= does */
    int small = test_scale_small(); /* instrumented runs (make sanitize): 2 kills each */
    if (small) printf("FEDVSSL_TEST_SCALE=small: 2 kills of each run instead of 6 and 4\n");
    kill_loop("pretrain", fmt, ref, dir, pf, 4, small ? 2 : 6, t);
    /* and through resume= */
    snprintf(args, sizeof args, "pretrain resume=%s rounds=3 quiet=true", dir);
    CHECK(sh("%s %s >/dev/null", fedvssl_bin, args) == 0, "resume= of a finished run is a no-op");

    /* fine-tune */
    snprintf(ref, sizeof ref, "%s/ft_ref", root);
    snprintf(args, sizeof args, "%s out=%s", ft, ref);
    t = run_time(args);
    printf("uninterrupted finetune: %.1f s\n", t);
    const char *ff[] = {"epoch_3.npz"};
    snprintf(dir, sizeof dir, "%s/ft_killed", root);
    snprintf(fmt, sizeof fmt, "%s out=%%s", ft);
    kill_loop("finetune", fmt, ref, dir, ff, 1, small ? 2 : 4, t);

    /* stdout into a file survives a kill -9: every line printed before it is in the log (block buffering had
     * lost the round lines, printed without a flush) */
    {
        char log[300], r2[300];
        snprintf(dir, sizeof dir, "%s/pre_log", root);
        snprintf(log, sizeof log, "%s/pre_log.txt", root);
        snprintf(r2, sizeof r2, "%s/fedvssl_results/round-2.npz", dir);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            char cmd[8192];
            snprintf(cmd, sizeof cmd, "exec %s %s quiet=false out=%s >%s 2>/dev/null", fedvssl_bin, pre, dir, log);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        int st = 0;
        while (!is_file(r2) && waitpid(pid, &st, WNOHANG) != pid) usleep(2000);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        char *t = slurp(log);
        CHECK(strstr(t, "round 1/3: 2/2 clients") != NULL, "killed after round-2.npz: the log has round 1's line");
        free(t);
    }

    /* a full disk: round 1 (and epoch 1) written, then the limit */
    char ref1[512];
    snprintf(dir, sizeof dir, "%s/pre_full", root);
    snprintf(args, sizeof args, "%s rounds=1 out=%s", pre, dir);
    run_time(args);
    snprintf(args, sizeof args, "%s out=%s allow_changes=true", pre, dir); /* rounds=3 now */
    snprintf(ref1, sizeof ref1, "%s/pre_ref/fedvssl_results/round-1.npz", root);
    full_disk("pretrain", args, dir, "fedvssl_results/round-1.npz", ref1, "fedvssl_results/round-2.npz");
    snprintf(dir, sizeof dir, "%s/ft_full", root);
    snprintf(args, sizeof args, "%s epochs=1 out=%s", ft, dir);
    run_time(args);
    snprintf(args, sizeof args, "%s out=%s allow_changes=true", ft, dir); /* epochs=3 now */
    char e1[512];
    snprintf(e1, sizeof e1, "%s/ft_full/epoch_1.npz", root);
    char keep[600];
    snprintf(keep, sizeof keep, "%s/epoch_1.copy", root);
    sh("cp %s %s", e1, keep);
    full_disk("finetune", args, dir, "epoch_1.npz", keep, "epoch_2.npz");

    scratch_done(root);
    TEST_END();
}
