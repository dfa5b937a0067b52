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

#include "tfevents.h"

typedef struct {
    FILE *f;      /* metrics.jsonl */
    TfEvents *tb; /* NULL when TensorBoard files are off or could not be written */
} RunLog;

/* Opens <run>/<name> (metrics.jsonl) for appending and, with tensorboard, a new event file in <run>/tf_logs.
 * Returns 0, or -1 with err set (nothing opened). An event file that cannot be created is said on stderr and
 * left out. */
int runlog_open(RunLog *r, const char *run_dir, const char *name, int tensorboard, char *err, size_t errlen);
/* json: one object, without the newline. A NULL or closed log ignores it. */
void runlog_line(RunLog *r, const char *json);
void runlog_close(RunLog *r);

#endif
