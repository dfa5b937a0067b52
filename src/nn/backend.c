/* Choosing a backend by name: cpu, cuda, cuda:N. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

#ifdef FEDVSSL_CUDA
#include "cuda/cuda_ops.h"
#else
const Backend *backend_cuda(int device) {
    (void)device;
    return NULL;
}
#endif

const Backend *backend_by_name(const char *name) {
    if (!strcmp(name, "cpu")) return backend_cpu();
    if (!strncmp(name, "cuda", 4) && (name[4] == 0 || name[4] == ':')) {
        char *end = NULL;
        long dev = name[4] == ':' ? strtol(name + 5, &end, 10) : 0;
        if (name[4] == ':' && (!*(name + 5) || *end || dev < 0)) die("device '%s': expected cuda:N", name);
        const Backend *be = backend_cuda((int)dev);
        if (!be) die("device '%s': this build has no CUDA backend (build where nvcc is found)", name);
        return be;
    }
    die("unknown device '%s' (cpu, cuda or cuda:N)", name);
}

const Backend *backend_for(const char *device, const char *precision) {
    int tf32 = !strcmp(precision, "tf32");
    if (!tf32 && strcmp(precision, "fp32")) die("unknown precision '%s' (fp32 or tf32)", precision);
    const Backend *be = backend_by_name(device);
    if (tf32 && be->block_layout) die("precision tf32 needs a CUDA device (the CPU computes in fp32)");
#ifdef FEDVSSL_CUDA
    if (!be->block_layout) cuda_set_precision(tf32);
#endif
    return be;
}
