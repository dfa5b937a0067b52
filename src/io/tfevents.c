/* TensorBoard event file writer (see tfevents.h). */
#include "tfevents.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../core/util.h"
#include "../core/fsutil.h"

struct TfEvents {
    FILE *f;
    char *path;
    int failed;
};

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void crc_fill(void) { /* reflected polynomial 0x82F63B78 */
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t crc32c(uint32_t crc, const void *p, size_t n) {
    pthread_once(&crc_once, crc_fill);
    const uint8_t *b = p;
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t tfrecord_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

/* protobuf wire encoding into a small buffer */
typedef struct {
    uint8_t b[1024];
    size_t n;
} Pb;

static void pb_varint(Pb *p, uint64_t v) {
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        p->b[p->n++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static void pb_bytes(Pb *p, int field, const void *data, size_t len) {
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, len);
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static void pb_fixed(Pb *p, int field, const void *le, int width) { /* x86-64 and aarch64 are little-endian */
    pb_varint(p, (uint64_t)field << 3 | (width == 8 ? 1 : 5));
    memcpy(p->b + p->n, le, (size_t)width);
    p->n += (size_t)width;
}

static double wall_time(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

static int write_record(TfEvents *w, const Pb *ev) {
    uint8_t head[12];
    uint64_t len = ev->n;
    memcpy(head, &len, 8);
    uint32_t c = tfrecord_mask(crc32c(0, head, 8));
    memcpy(head + 8, &c, 4);
    uint32_t d = tfrecord_mask(crc32c(0, ev->b, ev->n));
    if (w->failed || fwrite(head, 1, 12, w->f) != 12 || fwrite(ev->b, 1, ev->n, w->f) != ev->n ||
        fwrite(&d, 1, 4, w->f) != 4 || fflush(w->f))
        w->failed = 1;
    return w->failed ? -1 : 0;
}

TfEvents *tfevents_open(const char *dir, char *err, size_t errlen) {
    if (mkdir_p(dir)) {
        snprintf(err, errlen, "%s: cannot create: %m", dir);
        return NULL;
    }
    char host[256] = "localhost", name[400];
    if (gethostname(host, sizeof host - 1)) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    double t = wall_time();
    snprintf(name, sizeof name, "events.out.tfevents.%lld.%s", (long long)t, host);
    TfEvents *w = xcalloc(1, sizeof *w);
    w->path = path_join(dir, name);
    w->f = fopen(w->path, "ab");
    if (!w->f) {
        snprintf(err, errlen, "%s: cannot create: %m", w->path);
        free(w->path), free(w);
        return NULL;
    }
    Pb ev = {.n = 0};
    pb_fixed(&ev, 1, &t, 8);
    pb_bytes(&ev, 3, "brain.Event:2", 13);
    if (write_record(w, &ev)) {
        snprintf(err, errlen, "%s: cannot write: %m", w->path);
        tfevents_close(w);
        return NULL;
    }
    return w;
}

int tfevents_scalar(TfEvents *w, const char *tag, int64_t step, double value) {
    size_t tl = strlen(tag);
    if (tl > 512) tl = 512; /* the buffer holds the event; tags here are short */
    Pb val = {.n = 0}, sum = {.n = 0}, ev = {.n = 0};
    float v = (float)value;
    pb_bytes(&val, 1, tag, tl);
    pb_fixed(&val, 2, &v, 4);
    pb_bytes(&sum, 1, val.b, val.n);
    double t = wall_time();
    pb_fixed(&ev, 1, &t, 8);
    pb_varint(&ev, 2 << 3 | 0);
    pb_varint(&ev, (uint64_t)step);
    pb_bytes(&ev, 5, sum.b, sum.n);
    return write_record(w, &ev);
}

int tfevents_close(TfEvents *w) {
    if (!w) return 0;
    int bad = w->failed | (fclose(w->f) != 0);
    free(w->path), free(w);
    return bad ? -1 : 0;
}

const char *tfevents_path(const TfEvents *w) { return w->path; }
