#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/util.h"

int mkdir_p(const char *path) {
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) && errno != EEXIST) return free(p), -1;
        *s = '/';
    }
    int r = mkdir(p, 0777);
    free(p);
    if (r && errno == EEXIST && is_dir(path)) return 0;
    return r;
}

int is_dir(const char *path) {
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int is_file(const char *path) {
    struct stat st;
    return !stat(path, &st) && S_ISREG(st.st_mode);
}

char *path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *r = xmalloc(la + lb + 2);
    memcpy(r, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/') r[k++] = '/';
    memcpy(r + k, b, lb + 1);
    return r;
}

/* Accepts --json-path, --json_path and --json-path=value. */
static int opt_match(const char *arg, const char *name, const char **eq) {
    if (strncmp(arg, "--", 2)) return 0;
    arg += 2;
    size_t n = strlen(name);
    for (size_t k = 0; k < n; k++) {
        char a = arg[k], b = name[k];
        if (a == '_') a = '-';
        if (b == '_') b = '-';
        if (a != b) return 0;
    }
    if (arg[n] == '=') return *eq = arg + n + 1, 1;
    return arg[n] == 0 ? (*eq = NULL, 1) : 0;
}

const char *opt_value(int argc, char **argv, int *i, const char *name) {
    const char *eq;
    if (!opt_match(argv[*i], name, &eq)) return NULL;
    if (eq) return eq;
    if (*i + 1 >= argc) die("option --%s needs a value", name);
    return argv[++*i];
}
