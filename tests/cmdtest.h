/* Helpers of the tests that run the fedvssl program: a shell command's exit status, a file's text,
 * counting, comparing files, a command that must fail with one line. */
#ifndef FEDVSSL_CMDTEST_H
#define FEDVSSL_CMDTEST_H
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../src/core/util.h"
#include "check.h"

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* The file's bytes as a string ("" if unreadable); free it. */
static inline char *slurp(const char *path) {
    size_t n;
    const char *e;
    char *s = (char *)read_file(path, &n, &e);
    if (!s) return xstrdup("");
    s = xrealloc(s, n + 1);
    s[n] = 0;
    return s;
}

/* Non-overlapping occurrences of needle. */
static inline int count(const char *hay, const char *needle) {
    int n = 0;
    size_t k = strlen(needle);
    for (const char *p = hay; k && (p = strstr(p, needle)); p += k) n++;
    return n;
}

static inline int same_file(const char *a, const char *b) {
    size_t la, lb;
    const char *e;
    uint8_t *x = read_file(a, &la, &e), *y = read_file(b, &lb, &e);
    int same = x && y && la == lb && !memcmp(x, y, la);
    free(x), free(y);
    return same;
}

#endif
