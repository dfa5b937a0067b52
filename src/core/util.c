/* Small shared helpers: fatal errors, checked allocation, timing, atomic file writes. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fputs("fedvssl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void warnf(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fputs("fedvssl: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory allocating %zu bytes", n);
    return p;
}
void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}
void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory allocating %zu bytes", n);
    return p;
}
char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}
void *xalloc_aligned(size_t n) {
    void *p = NULL;
    n = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, n ? n : 64)) die("out of memory allocating %zu bytes", n);
    memset(p, 0, n);
    return p;
}

double round_decimals(double x, int digits) {
    /* Python formats the shortest repr and rounds half-even on the decimal value; printing with %.*f
     * rounds the exact binary value correctly, which is what round() does for these magnitudes. */
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", digits, x);
    return strtod(buf, NULL);
}

double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

size_t peak_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtoull(line + 6, NULL, 10);
    fclose(f);
    return kb * 1024;
}

int atomic_open(AtomicFile *af, const char *path) {
    memset(af, 0, sizeof *af);
    af->path = xstrdup(path);
    af->tmp = xmalloc(strlen(path) + 32);
    sprintf(af->tmp, "%s.tmp.%d", path, (int)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        free(af->path);
        free(af->tmp);
        errno = e;
        return -1;
    }
    return 0;
}
int atomic_write(AtomicFile *af, const void *p, size_t n) {
    if (af->failed) return -1;
    if (n && fwrite(p, 1, n, af->f) != n) af->failed = 1;
    return af->failed ? -1 : 0;
}
void atomic_abort(AtomicFile *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
    free(af->path);
    free(af->tmp);
}
/* After a rename the new directory entry is durable only once the directory itself is synced.
 * Best effort: some file systems refuse fsync on directories, and the data is already safe. */
void fsync_parent_dir(const char *path) {
    char *d = xstrdup(path), *s = strrchr(d, '/');
    const char *dir = !s ? "." : s == d ? "/" : (*s = 0, d);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(d);
}

int atomic_commit(AtomicFile *af) {
    int ok = !af->failed && fflush(af->f) == 0 && fsync(fileno(af->f)) == 0;
    ok = (fclose(af->f) == 0) && ok;
    af->f = NULL;
    if (ok && rename(af->tmp, af->path) != 0) ok = 0;
    int e = errno;
    if (ok) fsync_parent_dir(af->path); /* the rename itself must survive a power cut */
    if (!ok) unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    errno = e;
    return ok ? 0 : -1;
}

const char *printable(char *buf, size_t n, const char *s) {
    size_t k = 0, len = strlen(s);
    for (size_t i = 0; i < len && k + 1 < n; i++) {
        if (len - i > n - 1 - k && k + 4 >= n) { /* no room for the rest: end with "..." */
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        buf[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[k] = 0;
    return buf;
}

uint8_t *read_file(const char *path, size_t *len, const char **err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = strerror(errno);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) buf = xrealloc(buf, cap *= 2);
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        *err = "read error";
        return NULL;
    }
    *len = n;
    return buf;
}

#include "prof.h"
__thread double prof_sec[PROF_N]; /* per thread: clients trained side by side each count their own */
const char *const prof_names[PROF_N] = {"conv forward", "conv backward-data", "conv backward-weights", "batch norm",
                                        "relu/add", "head (RoIAlign, FC, loss)", "clip + SGD"};
