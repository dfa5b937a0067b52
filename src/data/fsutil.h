/* Small filesystem helpers used by the data commands. */
#ifndef FEDVSSL_FSUTIL_H
#define FEDVSSL_FSUTIL_H
#include <stddef.h>

int mkdir_p(const char *path); /* 0 ok, -1 with errno */
int is_dir(const char *path);
int is_file(const char *path);
/* "a/b" (xmalloc'd). */
char *path_join(const char *a, const char *b);
/* Option helper for commands: if argv[*i] is "--name" (or "--name_with_underscores"), or "--name=value",
 * returns the value (advancing *i) — dies with a clear message when the value is missing. */
const char *opt_value(int argc, char **argv, int *i, const char *name);

#endif
