/* Small shared helpers: fatal errors, checked allocation, timing, atomic file writes. */
#ifndef FEDVSSL_UTIL_H
#define FEDVSSL_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Print "fedvssl: <message>" and exit(1). Used for every user-facing error. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* 64-byte aligned, zeroed; free with free(). */
void *xalloc_aligned(size_t n);

double now_sec(void);
/* Round to `digits` decimals the way Python's round() does for the values logged (half-even on the decimal). */
double round_decimals(double x, int digits);
/* Peak resident set size of this process in bytes (from /proc/self/status VmHWM). */
size_t peak_rss_bytes(void);

/* Atomic write: data goes to "<path>.tmp.<pid>", is fsynced, then renamed over path (and the
 * directory fsynced). */
typedef struct {
    FILE *f;
    char *path, *tmp;
    int failed;
} AtomicFile;
int atomic_open(AtomicFile *af, const char *path); /* 0 ok, -1 error (errno set) */
int atomic_write(AtomicFile *af, const void *p, size_t n);
int atomic_commit(AtomicFile *af); /* 0 ok (renamed, directory fsynced); on failure the temp file is removed */
void fsync_parent_dir(const char *path);
void atomic_abort(AtomicFile *af);

/* float -> int64 as NumPy's astype(np.int64) gives it on x86-64 (and PyTorch's .long()): truncation toward zero;
 * NaN and values outside the int64 range give INT64_MIN. A plain C cast of those is undefined. Counters read
 * from checkpoint files (float64 in the Flower format) go through this. */
static inline int64_t f64_to_i64(double v) {
    return v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v : INT64_MIN;
}

/* A string read from a file (a member or key name) made fit for a one-line message: control bytes (< 0x20,
 * 0x7f) become '?', and it is cut to fit buf (n >= 4) with "..." at the end. Returns buf. */
const char *printable(char *buf, size_t n, const char *s);

/* Read a whole file; returns NULL and sets *err (static string) on failure. */
uint8_t *read_file(const char *path, size_t *len, const char **err);

#endif
