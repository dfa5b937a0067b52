/* Minimal test harness: CHECK(cond, fmt, ...) records a failure and goes on; TEST_END returns the status. */
#ifndef FEDVSSL_CHECK_H
#define FEDVSSL_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int check_failures, check_count;
#define CHECK(cond, ...)                                              \
    do {                                                              \
        check_count++;                                                \
        if (!(cond)) {                                                \
            check_failures++;                                         \
            fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)
/* Running maximum of an error for "max |got - want| < tol" checks. fmax() drops a NaN argument, so a NaN
 * result would read as error 0 and pass: here a NaN makes the error infinite. */
static inline double max_err(double acc, double d) { return isnan(d) ? INFINITY : d > acc ? d : acc; }
/* FEDVSSL_TEST_SCALE=small (`make sanitize` sets it, where every test runs instrumented): the costliest tests
 * leave out their slowest cases, each saying which in its output. Unset: everything runs. */
static inline int test_scale_small(void) {
    const char *s = getenv("FEDVSSL_TEST_SCALE");
    return s && !strcmp(s, "small");
}
/* A test's scratch folder: removed when every check passed, kept and named for a look otherwise. */
static inline void scratch_done(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (check_failures) fprintf(stderr, "test files kept in %s\n", dir);
    else if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
}
#define TEST_END()                                                                 \
    do {                                                                           \
        printf("%d checks, %d failed\n", check_count, check_failures);            \
        return check_failures ? 1 : 0;                                             \
    } while (0)
#endif
