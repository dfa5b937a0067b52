#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

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


int remove_stale_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *t = strstr(de->d_name, ".tmp.");
        char *end;
        if (!t || t == de->d_name) continue;
        long pid = strtol(t + 5, &end, 10);
        if (*end || end == t + 5 || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM) continue; /* its writer is still running */
        char *p = path_join(dir, de->d_name);
        if (!unlink(p)) n++;
        free(p);
    }
    closedir(d);
    return n;
}

char *default_run_dir(void) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "outputs/%Y-%m-%d/%H-%M-%S", &tm);
    return xstrdup(buf);
}

char *path_under(const char *dir, const char *p) { return p[0] == '/' ? xstrdup(p) : path_join(dir, p); }
