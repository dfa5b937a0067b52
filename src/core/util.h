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

/* Read a whole file; returns NULL and sets *err (static string) on failure. */
uint8_t *read_file(const char *path, size_t *len, const char **err);

#endif
