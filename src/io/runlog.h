/* The event log of a run folder: every record is one JSON line appended to <run>/metrics.jsonl (flushed, so a
 * killed run keeps what it logged) and its numbers are mirrored as TensorBoard scalars under <run>/tf_logs/, the
 * view mmcv and Flower users open. The mirror follows the record's kind:
 *   {"event": "train", "round": r, "client": c, "iter": i, "iters": n, ...}  client<c>/train/<key> at (r-1)*n+i
 *   {"event": "train", "epoch": e, "iter": i, "iters": n, ...}               train/<key> at (e-1)*n+i
 *   {"event": "client_fit", "round": r, "client": c, ...}                    client<c>/<key> at r
 *   {"event": "round", "round": r, ...}                                      round/<key> at r
 *   {"event": "epoch", "epoch": e, ...}                                      epoch/<key> at e
 * (numeric keys other than the step's own); other records (markers) only go to metrics.jsonl. */
#ifndef FEDVSSL_RUNLOG_H
#define FEDVSSL_RUNLOG_H
#include <stddef.h>
#include <stdio.h>

#include "json.h"
#include "tfevents.h"

typedef struct {
    FILE *f;      /* metrics.jsonl */
    TfEvents *tb; /* NULL when TensorBoard files are off or could not be written */
} RunLog;

/* Opens <run>/<name> (metrics.jsonl) for appending and, with tensorboard, a new event file in <run>/tf_logs.
 * Returns 0, or -1 with err set (nothing opened). An event file that cannot be created is said on stderr and
 * left out. */
int runlog_open(RunLog *r, const char *run_dir, const char *name, int tensorboard, char *err, size_t errlen);
void runlog_close(RunLog *r);

/* One record, built field by field in the order written: ev_begin(&e, "round"), ev_int(&e, "round", r),
 * ev_num(&e, "loss", x, 5), ..., then runlog_event (or ev_text for a line that goes elsewhere). The numbers are
 * kept beside the text, so the TensorBoard mirror needs no parsing. Keys must outlive the record (literals). */
#define RUNEVENT_MAX_NUMS 32
typedef struct {
    StrBuf b;
    const char *kind; /* the "event" field; NULL: a plain object (mmcv's log lines) */
    int fields, n, closed;
    const char *keys[RUNEVENT_MAX_NUMS];
    double vals[RUNEVENT_MAX_NUMS];
} RunEvent;

void ev_begin(RunEvent *e, const char *kind);
void ev_int(RunEvent *e, const char *key, long long v);
/* digits >= 0: rounded to that many decimals (round_decimals); < 0: the value as it is (shortest repr) */
void ev_num(RunEvent *e, const char *key, double v, int digits);
void ev_str(RunEvent *e, const char *key, const char *v);
void ev_bool(RunEvent *e, const char *key, int v);
/* The finished object (no newline), valid until ev_free. */
const char *ev_text(RunEvent *e);
void ev_free(RunEvent *e);
/* Appends the record to metrics.jsonl, mirrors its numbers, and frees it. A NULL or closed log only frees it.
 * Safe from several threads (one record at a time). */
void runlog_event(RunLog *r, RunEvent *e);

#endif
