/* Progress lines (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <unistd.h>

void progress_init(Progress *p, FILE *f, int quiet) {
    p->f = f, p->quiet = quiet, p->tty = isatty(fileno(f));
}

void progress_eta(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 86400) snprintf(buf, n, "%ldd %02ld:%02ld:%02ld", t / 86400, t / 3600 % 24, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void progress_show(Progress *p, int line, const char *label, long done, long total, double eta_s, const char *fmt, ...) {
    if (p->quiet || (!p->tty && !line)) return;
    char text[512], eta[32], bar[24] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    progress_eta(eta, sizeof eta, done >= total ? 0 : eta_s);
    if (p->tty && total > 0) { /* 20 cells */
        int full = (int)(20.0 * (done < 0 ? 0 : done > total ? total : done) / total);
        bar[0] = '[';
        for (int i = 0; i < 20; i++) bar[1 + i] = i < full ? '#' : '.';
        bar[21] = ']', bar[22] = ' ', bar[23] = 0;
    }
    fprintf(p->f, "%s%s %s%ld/%ld  %s  ETA %s%s", p->tty ? "\r" : "", label, bar, done, total, text, eta,
            p->tty ? "\033[K" : "\n");
    fflush(p->f);
}

void progress_end(Progress *p, int clear) {
    if (p->quiet || !p->tty) return;
    fputs(clear ? "\r\033[K" : "\n", p->f);
    fflush(p->f);
}
