/* Choosing a backend by name: cpu, cuda, cuda:N. The CUDA backend is a plugin
 * (libfedvssl_cuda.so next to the program, or $FEDVSSL_CUDA_PLUGIN) loaded on first use, so that CPU
 * runs never map the CUDA libraries and run where they are missing. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

#ifdef FEDVSSL_CUDA
#include <dlfcn.h>
#include <libgen.h>
#include <unistd.h>

static void *plugin(int required) {
    static void *h;
    static int tried;
    static char why[1024] = "not found";
    if (!tried) {
        tried = 1;
        char exe[4096], dir[4096], path[8192];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        snprintf(dir, sizeof dir, "%s", n > 0 ? dirname(exe) : ".");
        const char *env = getenv("FEDVSSL_CUDA_PLUGIN");
        const char *cands[3] = {env, "%s/libfedvssl_cuda.so", "%s/../libfedvssl_cuda.so"};
        for (int i = 0; i < 3 && !h; i++) {
            if (!cands[i]) continue;
            if (i == 0) snprintf(path, sizeof path, "%s", env);
            else snprintf(path, sizeof path, cands[i], dir);
            if (access(path, R_OK)) continue;
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!h) snprintf(why, sizeof why, "%s", dlerror());
        }
    }
    if (!h && required) die("the CUDA backend (libfedvssl_cuda.so) could not be loaded: %s", why);
    return h;
}

const Backend *backend_cuda(int device) {
    const Backend *(*entry)(int) = (const Backend *(*)(int))dlsym(plugin(1), "fedvssl_cuda_backend");
    if (!entry) die("libfedvssl_cuda.so: no entry point (a plugin from another build?)");
    return entry(device);
}

int backend_cuda_devices(void) {
    void *h = plugin(0);
    int (*count)(void) = h ? (int (*)(void))dlsym(h, "cuda_device_count") : NULL;
    return count ? count() : 0;
}

static void cuda_precision(int tf32) {
    void (*set)(int) = (void (*)(int))dlsym(plugin(1), "cuda_set_precision");
    if (set) set(tf32);
}
#else
const Backend *backend_cuda(int device) {
    (void)device;
    return NULL;
}
int backend_cuda_devices(void) { return 0; }
static void cuda_precision(int tf32) { (void)tf32; }
#endif

const Backend *backend_by_name(const char *name) {
    if (!strcmp(name, "cpu")) return backend_cpu();
    if (!strcmp(name, "cpu-separate")) return backend_cpu_separate(); /* for tests: see backend.h */
    if (!strncmp(name, "cuda", 4) && (name[4] == 0 || name[4] == ':')) {
        char *end = NULL;
        long dev = name[4] == ':' ? strtol(name + 5, &end, 10) : 0;
        if (name[4] == ':' && (!*(name + 5) || *end || dev < 0)) die("device '%s': expected cuda:N", name);
        /* one CUDA device per process (the plugin keeps one context, workspace and plan cache): a second
         * one would silently run on the first, so it is an error; use one MPI rank per GPU instead */
        static int used = -1;
        if (used >= 0 && used != (int)dev)
            die("device '%s': this process already uses cuda:%d; one CUDA device per process (transport=mpi runs one "
                "rank per GPU)",
                name, used);
        used = (int)dev;
        const Backend *be = backend_cuda((int)dev);
        if (!be) die("device '%s': this build has no CUDA backend (build where nvcc is found)", name);
        return be;
    }
    die("unknown device '%s' (cpu, cuda or cuda:N; cpu-separate for tests)", name);
}

const Backend *backend_for(const char *device, const char *precision) {
    int tf32 = !strcmp(precision, "tf32");
    if (!tf32 && strcmp(precision, "fp32")) die("unknown precision '%s' (fp32 or tf32)", precision);
    const Backend *be = backend_by_name(device);
    if (tf32 && !(be->caps & BE_TF32)) die("precision tf32 needs a CUDA device (the CPU computes in fp32)");
    if (be->caps & BE_TF32) cuda_precision(tf32);
    return be;
}
