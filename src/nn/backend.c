/* Opening a backend context by name: cpu, cuda, cuda:N. The CUDA backend is a plugin
 * (libfedvssl_cuda.so next to the program, or $FEDVSSL_CUDA_PLUGIN) loaded on first use, so that CPU
 * runs never map the CUDA libraries and run where they are missing. */
#include "backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "cpu/cpu_ops.h"

#ifdef FEDVSSL_CUDA
#include <dlfcn.h>
#include <libgen.h>
#include <unistd.h>

static void *plugin_h;
static char plugin_why[1024] = "not found";
static void plugin_load(void) {
    char exe[4096], dir[4096], path[8192];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    snprintf(dir, sizeof dir, "%s", n > 0 ? dirname(exe) : ".");
    const char *env = getenv("FEDVSSL_CUDA_PLUGIN");
    const char *cands[3] = {env, "%s/libfedvssl_cuda.so", "%s/../libfedvssl_cuda.so"};
    for (int i = 0; i < 3 && !plugin_h; i++) {
        if (!cands[i]) continue;
        if (i == 0) snprintf(path, sizeof path, "%s", env);
        else snprintf(path, sizeof path, cands[i], dir);
        if (access(path, R_OK)) continue;
        plugin_h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!plugin_h) snprintf(plugin_why, sizeof plugin_why, "%s", dlerror());
    }
}

/* Loaded once per process (pthread_once: clients may open backends side by side). */
static void *plugin(int required) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, plugin_load);
    void *h = plugin_h;
    if (!h && required) die("the CUDA backend (libfedvssl_cuda.so) could not be loaded: %s", plugin_why);
    return h;
}

/* The plugin's entry: a new context on device N; math 0 fp32, 1 tf32, 2 bf16 (cuda_ops.h's CUDA_*). */
static Backend *cuda_open(int device, int math) {
    Backend *(*entry)(int, int) = (Backend * (*)(int, int)) dlsym(plugin(1), "fedvssl_cuda_open");
    if (!entry) die("libfedvssl_cuda.so: no entry point fedvssl_cuda_open (a plugin from another build?)");
    return entry(device, math);
}

int backend_cuda_devices(void) {
    void *h = plugin(0);
    int (*count)(void) = h ? (int (*)(void))dlsym(h, "cuda_device_count") : NULL;
    return count ? count() : 0;
}
#else
static Backend *cuda_open(int device, int math) {
    (void)device, (void)math;
    return NULL;
}
int backend_cuda_devices(void) { return 0; }
#endif


/* -1 for the CPU ones, else the CUDA device; dies on a name that is none of them. */
static int parse_device(const char *name, int *separate) {
    *separate = !strcmp(name, "cpu-separate"); /* for tests: see backend.h */
    if (!strcmp(name, "cpu") || *separate) return -1;
    if (!strncmp(name, "cuda", 4) && (name[4] == 0 || name[4] == ':')) {
        char *end = NULL;
        long dev = name[4] == ':' ? strtol(name + 5, &end, 10) : 0;
        if (name[4] == ':' && (!*(name + 5) || *end || dev < 0 || dev > 1 << 20)) die("device '%s': expected cuda:N", name);
        return (int)dev;
    }
    die("unknown device '%s' (cpu, cuda or cuda:N; cpu-separate for tests)", name);
}

void backend_check_name(const char *name) {
    int sep;
    parse_device(name, &sep);
}

Backend *backend_open(const char *device, const char *precision) {
    int tf32 = !strcmp(precision, "tf32"), bf16 = !strcmp(precision, "bf16"), sep;
    if (!tf32 && !bf16 && strcmp(precision, "fp32")) die("unknown precision '%s' (fp32, tf32 or bf16)", precision);
    int dev = parse_device(device, &sep);
    if (dev < 0) {
        if (tf32) die("precision tf32 needs a CUDA device (the CPU computes in fp32, or bf16 with AVX-512 BF16)");
        if (bf16 && !cpu_has_bf16())
            die("precision bf16 on the CPU needs AVX-512 BF16 (vdpbf16ps), which this CPU lacks: use fp32");
        return backend_cpu_open(sep, bf16);
    }
    Backend *be = cuda_open(dev, bf16 ? 2 : tf32);
    if (!be) die("device '%s': this build has no CUDA backend (build where nvcc is found)", device);
    return be;
}

void backend_close(Backend *be) {
    if (!be) return;
    be->close(be);
    free(be);
}

const Backend *backend_for(const char *device, const char *precision) {
    /* one shared context per (device, precision) for the life of the process; threads may ask together */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        char key[96];
        Backend *be;
    } open[16];
    static int n;
    char key[96];
    snprintf(key, sizeof key, "%s|%s", device, precision);
    pthread_mutex_lock(&lock);
    Backend *be = NULL;
    for (int i = 0; i < n && !be; i++)
        if (!strcmp(open[i].key, key)) be = open[i].be;
    if (!be) {
        if (n == 16) die("internal: more than 16 backend contexts");
        be = backend_open(device, precision);
        snprintf(open[n].key, sizeof open[n].key, "%s", key);
        open[n++].be = be;
    }
    pthread_mutex_unlock(&lock);
    return be;
}

const Backend *backend_cpu(void) { return backend_for("cpu", "fp32"); }

const Backend *backend_cuda(int device) {
    char name[32];
    snprintf(name, sizeof name, "cuda:%d", device);
    return backend_for(name, "fp32");
}
