/* Progress of a long step (prepare, pretrain, finetune, test, retrieve): on a terminal one line
 * redrawn in place with a bar, the rate and the ETA; elsewhere (a log file, CI) plain lines, printed
 * only when the caller says the moment is worth a line (a log interval, the end). */
#ifndef FEDVSSL_PROGRESS_H
#define FEDVSSL_PROGRESS_H
#include <stdio.h>

typedef struct {
    FILE *f;
    int tty, quiet;
} Progress;

/* f: stdout or stderr; quiet: print nothing. */
void progress_init(Progress *p, FILE *f, int quiet);
/* "<label> [#####.....] done/total <text> ETA h:mm:ss": on a terminal always (in place); otherwise
 * only when line is set. text is a printf format (may be empty). */
void progress_show(Progress *p, int line, const char *label, long done, long total, double eta_s, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* On a terminal: erase the line (clear = 1) or keep it and move to the next (0). */
void progress_end(Progress *p, int clear);
/* Seconds as h:mm:ss (or "Nd hh:mm:ss"); "?" for a negative or absurd value. */
void progress_eta(char *buf, size_t n, double s);

#endif
