/* The MPI transport (OpenMPI): server on rank 0, clients on ranks 1..P. Models move as flat buffers in
 * chunks, and the server adds each arriving chunk to its sums, so it never holds a client's model.
 * A rank that does not answer within round_timeout is a failed client and is left out while its
 * answer is outstanding; a rank that dies ends the job (OpenMPI's default), and the last complete
 * round stays on disk for resume. Built without MPI, every entry point says so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "fl.h"

#ifndef FEDVSSL_MPI
int fl_mpi_available(void) { return 0; }
int fl_mpi_init(int *argc, char ***argv, int *rank, int *size) {
    (void)argc, (void)argv, *rank = 0, *size = 1;
    return -1;
}
void fl_mpi_bcast_string(char **s) { (void)s; }
Transport *transport_mpi_server(const FlConfig *c, RunLog *mx) {
    (void)c, (void)mx;
    die("transport=mpi: this build has no MPI (install libopenmpi-dev openmpi-bin and rebuild)");
}
int fl_mpi_worker(const FlConfig *c) {
    (void)c;
    return 1;
}
void fl_mpi_finalize(void) {}
#else
#include <mpi.h>

enum { TAG_TASK = 11, TAG_GW, TAG_GC, TAG_RES, TAG_RW, TAG_RC };
enum { CMD_FIT = 1, CMD_STOP = 2 };
#define CHUNK ((size_t)1 << 22) /* floats per message (16 MiB) */
#define MAX_HDR 4096

int fl_mpi_available(void) { return 1; }

int fl_mpi_init(int *argc, char ***argv, int *rank, int *size) {
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
}

void fl_mpi_bcast_string(char **s) {
    int rank, len = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) len = (int)strlen(*s) + 1;
    MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank != 0) *s = xmalloc((size_t)len);
    MPI_Bcast(*s, len, MPI_CHAR, 0, MPI_COMM_WORLD);
}

void fl_mpi_finalize(void) { MPI_Finalize(); }

static void send_floats(const float *x, size_t n, int dest, int tag) {
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        MPI_Send(x + off, (int)len, MPI_FLOAT, dest, tag, MPI_COMM_WORLD);
    }
}
static void recv_floats(float *x, size_t n, int src, int tag) {
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        MPI_Recv(x + off, (int)len, MPI_FLOAT, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
}

typedef struct {
    const FlConfig *c;
    RunLog *mx;
    int size;
    int *outstanding; /* per rank: fits sent and not yet answered */
    size_t nf, ni;    /* the model's float and counter element counts (set by the first round) */
    float *chunk;
} MpiServer;

/* Receives one result whose header came from src; adds it to agg when it belongs to this round. */
static int take_result(MpiServer *ms, int src, int round, const int *cids, int k, Aggregator *agg, FitResult *res,
                       int *answered, size_t nf, size_t ni) {
    FitResult r;
    int rr[2];
    MPI_Recv(rr, 2, MPI_INT, src, TAG_RES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Recv(&r, (int)sizeof r, MPI_BYTE, src, TAG_RES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    ms->outstanding[src]--;
    int idx = -1;
    for (int i = 0; i < k; i++)
        if (cids[i] == r.cid) idx = i;
    int current = rr[0] == round && idx >= 0 && !answered[idx];
    int64_t *cnt = xcalloc(ni ? ni : 1, sizeof(int64_t));
    if (r.ok && current) agg_client_begin(agg, r.num_examples, r.loss_metric);
    if (r.ok) {
        for (size_t off = 0; off < nf; off += CHUNK) {
            size_t len = nf - off < CHUNK ? nf - off : CHUNK;
            MPI_Recv(ms->chunk, (int)len, MPI_FLOAT, src, TAG_RW, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (current) agg_add_floats(agg, off, ms->chunk, len);
        }
        MPI_Recv(cnt, (int)ni, MPI_INT64_T, src, TAG_RC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (current) agg_add_counters(agg, 0, cnt, ni), agg_client_end(agg);
    }
    free(cnt);
    if (!current) return 0; /* a late answer to an earlier round: dropped */
    res[idx] = r;
    answered[idx] = 1;
    fl_log_fit(ms->mx, round, &r);
    return 1;
}

static int mpi_fit_round(Transport *t, int round, const int *cids, int k, const Global *g, const State *layout,
                         Aggregator *agg, FitResult *res) {
    (void)layout;
    MpiServer *ms = t->impl;
    int P = ms->size - 1, expected = 0, ok = 0;
    ms->nf = g->nf, ms->ni = g->ni;
    int *answered = xcalloc((size_t)k, sizeof(int)), *busy = xcalloc((size_t)k, sizeof(int));
    int *hdr = xmalloc(sizeof(int) * MAX_HDR);
    for (int i = 0; i < k; i++) res[i] = (FitResult){.cid = cids[i]};
    for (int rank = 1; rank <= P; rank++) {
        int n = 0;
        hdr[0] = CMD_FIT, hdr[1] = round;
        for (int i = 0; i < k && n < MAX_HDR - 3; i++)
            if (cids[i] % P == rank - 1) hdr[3 + n++] = cids[i];
        if (!n) continue;
        if (ms->outstanding[rank]) { /* still on an earlier round: its clients fail this one */
            for (int i = 0; i < k; i++)
                if (cids[i] % P == rank - 1) {
                    snprintf(res[i].err, sizeof res[i].err, "rank %d has not answered an earlier round", rank);
                    answered[i] = busy[i] = 1;
                }
            continue;
        }
        hdr[2] = n;
        MPI_Send(hdr, 3 + n, MPI_INT, rank, TAG_TASK, MPI_COMM_WORLD);
        send_floats(g->w, g->nf, rank, TAG_GW);
        MPI_Send(g->c, (int)g->ni, MPI_DOUBLE, rank, TAG_GC, MPI_COMM_WORLD);
        ms->outstanding[rank] += n;
        expected += n;
    }
    /* Results are taken in client order (each rank fits its clients in that order), so the float32 sums
     * are added in the same order as in-process: both transports give the same bits. */
    double deadline = ms->c->round_timeout > 0 ? now_sec() + ms->c->round_timeout : 0;
    int late = 0;
    for (int i = 0; i < k && expected > 0 && !late; i++) {
        if (answered[i]) continue;
        int src = 1 + cids[i] % P;
        while (!answered[i]) {
            int flag = 0;
            MPI_Iprobe(src, TAG_RES, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (!flag) {
                if (deadline && now_sec() > deadline) {
                    late = 1;
                    break;
                }
                usleep(1000);
                continue;
            }
            expected -= take_result(ms, src, round, cids, k, agg, res, answered, g->nf, g->ni);
        }
    }
    for (int i = 0; i < k; i++) {
        if (!answered[i])
            snprintf(res[i].err, sizeof res[i].err, "no answer from rank %d within round_timeout %.1f s",
                     1 + cids[i] % P, ms->c->round_timeout);
        if (!answered[i] || busy[i]) fl_log_fit(ms->mx, round, &res[i]); /* failures the client could not log */
        ok += answered[i] && res[i].ok;
    }
    free(answered), free(busy), free(hdr);
    return ok;
}

/* Late answers still under way are received and dropped, so that no rank is left blocked in a send
 * when the job ends; a rank that stays silent for round_timeout (60 s without one) more ends the
 * job with MPI_Abort: the checkpoints of every complete round are on disk by then. */
static void drain_late_answers(MpiServer *ms) {
    double wait = ms->c->round_timeout > 0 ? ms->c->round_timeout : 60, deadline = now_sec() + wait;
    for (int rank = 1; rank < ms->size; rank++)
        while (ms->outstanding[rank] > 0) {
            int flag = 0;
            MPI_Iprobe(rank, TAG_RES, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (flag) {
                take_result(ms, rank, -1, NULL, 0, NULL, NULL, NULL, ms->nf, ms->ni);
            } else if (now_sec() > deadline) {
                fprintf(stderr, "fedvssl: rank %d has not answered for %.0f s after the last round; stopping the job "
                                "(every complete round is saved)\n", rank, wait);
                MPI_Abort(MPI_COMM_WORLD, 1);
            } else {
                usleep(1000);
            }
        }
}

static void mpi_close(Transport *t) {
    MpiServer *ms = t->impl;
    drain_late_answers(ms);
    int hdr[3] = {CMD_STOP, 0, 0};
    for (int rank = 1; rank < ms->size; rank++) MPI_Send(hdr, 3, MPI_INT, rank, TAG_TASK, MPI_COMM_WORLD);
    free(ms->outstanding), free(ms->chunk), free(ms);
    free(t);
}

Transport *transport_mpi_server(const FlConfig *c, RunLog *mx) {
    MpiServer *ms = xcalloc(1, sizeof *ms);
    ms->c = c, ms->mx = mx;
    MPI_Comm_size(MPI_COMM_WORLD, &ms->size);
    ms->outstanding = xcalloc((size_t)ms->size, sizeof(int));
    ms->chunk = xalloc_aligned(CHUNK * sizeof(float));
    Transport *t = xcalloc(1, sizeof *t);
    t->name = "mpi";
    t->fit_round = mpi_fit_round;
    t->close = mpi_close;
    t->impl = ms;
    return t;
}

int fl_mpi_worker(const FlConfig *c) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    Model m;
    fl_client_model(&m, c, backend_for(c->device, c->precision));
    float *gw = xalloc_aligned(m.st.nf * sizeof(float));
    double *gc = xcalloc(m.st.ni ? m.st.ni : 1, sizeof(double));
    int *hdr = xmalloc(sizeof(int) * MAX_HDR);
    char name[64];
    snprintf(name, sizeof name, "metrics.rank%d.jsonl", rank);
    RunLog mx;
    char err[1200];
    if (runlog_open(&mx, c->run_dir, name, 0, err, sizeof err)) die("%s", err);
    for (;;) {
        MPI_Recv(hdr, MAX_HDR, MPI_INT, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (hdr[0] == CMD_STOP) break;
        int round = hdr[1], n = hdr[2];
        recv_floats(gw, m.st.nf, 0, TAG_GW);
        MPI_Recv(gc, (int)m.st.ni, MPI_DOUBLE, 0, TAG_GC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (int i = 0; i < n; i++) {
            FitResult r;
            client_fit(&m, c, hdr[3 + i], round, gw, gc, &mx, &r);
            int rr[2] = {round, rank};
            MPI_Send(rr, 2, MPI_INT, 0, TAG_RES, MPI_COMM_WORLD);
            MPI_Send(&r, (int)sizeof r, MPI_BYTE, 0, TAG_RES, MPI_COMM_WORLD);
            if (r.ok) {
                send_floats(m.st.w, m.st.nf, 0, TAG_RW);
                MPI_Send(m.st.cnt, (int)m.st.ni, MPI_INT64_T, 0, TAG_RC, MPI_COMM_WORLD);
            }
        }
    }
    runlog_close(&mx);
    free(gw), free(gc), free(hdr);
    model_free(&m);
    return 0;
}
#endif
