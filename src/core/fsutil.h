/* Small filesystem helpers used by the data commands. */
#ifndef FEDVSSL_FSUTIL_H
#define FEDVSSL_FSUTIL_H
#include <stddef.h>

int mkdir_p(const char *path); /* 0 ok, -1 with errno */
int is_dir(const char *path);
int is_file(const char *path);
/* "a/b" (xmalloc'd). */
char *path_join(const char *a, const char *b);
/* Removes the temporary files "<name>.tmp.<pid>" that atomic writes of a killed process left in dir
 * (not recursive; only those whose pid is not a live process of this host). Returns the count. */
int remove_stale_temps(const char *dir);

/* "outputs/<YYYY-MM-DD>/<HH-MM-SS>" of now, a run folder's default (xmalloc'ed). */
char *default_run_dir(void);

/* p when absolute, else dir/p (xmalloc'ed): a setting relative to the data folder. */
char *path_under(const char *dir, const char *p);

#endif
