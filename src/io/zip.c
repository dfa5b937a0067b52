/* ZIP reader/writer. Every length read from the file is checked against the buffer. */
#include "zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

#define FAIL(...)                                   \
    do {                                            \
        snprintf(err, errlen, __VA_ARGS__);         \
        goto fail;                                  \
    } while (0)

static int parse(ZipReader *z, char *err, size_t errlen) {
    const uint8_t *d = z->data;
    size_t len = z->len;
    if (len < 22) FAIL("%s: not a zip archive (too short, %zu bytes)", z->path, len);
    /* End of central directory: search backwards over the comment. */
    size_t eocd = (size_t)-1;
    size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd32(d + i) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == (size_t)-1) FAIL("%s: not a zip archive (no end-of-central-directory record)", z->path);
    uint64_t count = rd16(d + eocd + 10), cd_size = rd32(d + eocd + 12), cd_off = rd32(d + eocd + 16);
    if (eocd >= 20 && rd32(d + eocd - 20) == 0x07064b50) { /* Zip64 locator */
        uint64_t z64 = rd64(d + eocd - 20 + 8);
        if (len < 56 || z64 > len - 56 || rd32(d + z64) != 0x06064b50) FAIL("%s: corrupt Zip64 end record", z->path);
        count = rd64(d + z64 + 32);
        cd_size = rd64(d + z64 + 40);
        cd_off = rd64(d + z64 + 48);
    }
    if (cd_off > len || cd_size > len - cd_off) FAIL("%s: central directory lies outside the file (truncated?)", z->path);
    if (count > cd_size / 46) FAIL("%s: corrupt central directory (%llu entries in %llu bytes)", z->path,
                                   (unsigned long long)count, (unsigned long long)cd_size);
    z->e = xcalloc(count ? count : 1, sizeof(ZipEntry));
    const uint8_t *p = d + cd_off, *end = d + cd_off + cd_size;
    for (uint64_t k = 0; k < count; k++) {
        if (end - p < 46 || rd32(p) != 0x02014b50) FAIL("%s: corrupt central directory entry %llu", z->path, (unsigned long long)k);
        ZipEntry *e = &z->e[z->n];
        unsigned nl = rd16(p + 28), xl = rd16(p + 30), cl = rd16(p + 32);
        if ((size_t)(end - p) < 46u + nl + xl + cl) FAIL("%s: corrupt central directory entry %llu", z->path, (unsigned long long)k);
        e->method = rd16(p + 10);
        e->crc = rd32(p + 16);
        e->comp_size = rd32(p + 20);
        e->size = rd32(p + 24);
        e->local_off = rd32(p + 42);
        e->name = xmalloc(nl + 1);
        memcpy(e->name, p + 46, nl);
        e->name[nl] = 0;
        z->n++;
        /* Zip64 extra: the 64-bit values appear only for fields that are 0xFFFFFFFF, in this order. */
        const uint8_t *x = p + 46 + nl, *xe = x + xl;
        while (xe - x >= 4) {
            unsigned id = rd16(x), sz = rd16(x + 2);
            if ((size_t)(xe - x - 4) < sz) break;
            if (id == 1) {
                const uint8_t *q = x + 4, *qe = x + 4 + sz;
                if (e->size == 0xFFFFFFFFu && qe - q >= 8) e->size = rd64(q), q += 8;
                if (e->comp_size == 0xFFFFFFFFu && qe - q >= 8) e->comp_size = rd64(q), q += 8;
                if (e->local_off == 0xFFFFFFFFu && qe - q >= 8) e->local_off = rd64(q);
            }
            x += 4 + sz;
        }
        p += 46 + nl + xl + cl;
    }
    return 0;
fail:
    return -1;
}

int zip_open_mem(ZipReader *z, const uint8_t *data, size_t len, const char *label, char *err, size_t errlen) {
    memset(z, 0, sizeof *z);
    z->data = data;
    z->len = len;
    z->path = xstrdup(label);
    if (parse(z, err, errlen)) {
        zip_close(z);
        return -1;
    }
    return 0;
}

int zip_open(ZipReader *z, const char *path, char *err, size_t errlen) {
    memset(z, 0, sizeof *z);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    void *m = st.st_size ? mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (st.st_size && m == MAP_FAILED) {
        snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
        return -1;
    }
    z->data = m;
    z->len = st.st_size;
    z->mapped = 1;
    z->path = xstrdup(path);
    if (parse(z, err, errlen)) {
        zip_close(z);
        return -1;
    }
    return 0;
}

void zip_close(ZipReader *z) {
    for (int i = 0; i < z->n; i++) free(z->e[i].name);
    free(z->e);
    if (z->mapped && z->len) munmap((void *)z->data, z->len);
    free(z->path);
    memset(z, 0, sizeof *z);
}

int zip_find(const ZipReader *z, const char *name) {
    for (int i = 0; i < z->n; i++)
        if (!strcmp(z->e[i].name, name)) return i;
    return -1;
}

const uint8_t *zip_read(const ZipReader *z, int i, size_t *len, int *owned, char *err, size_t errlen) {
    const ZipEntry *e = &z->e[i];
    uint8_t *out = NULL;
    char nm[200]; /* the member's name, for messages (names come from the file) */
#define NAME printable(nm, sizeof nm, e->name)
    *owned = 0;
    if (e->local_off > z->len || z->len - e->local_off < 30 || rd32(z->data + e->local_off) != 0x04034b50)
        FAIL("%s: member '%s': bad local header (truncated or corrupt)", z->path, NAME);
    /* The local header's own name/extra lengths: NumPy's differ from the central directory's. */
    uint64_t start = e->local_off + 30 + rd16(z->data + e->local_off + 26) + rd16(z->data + e->local_off + 28);
    if (start > z->len || e->comp_size > z->len - start)
        FAIL("%s: member '%s' extends past the end of the file (truncated?)", z->path, NAME);
    const uint8_t *src = z->data + start;
    if (e->method == 0) {
        if (e->comp_size != e->size) FAIL("%s: member '%s': stored sizes disagree", z->path, NAME);
        if (crc32_z(0, src, e->size) != e->crc) FAIL("%s: member '%s': CRC mismatch (corrupt)", z->path, NAME);
        *len = e->size;
        return src;
    }
    if (e->method != 8) FAIL("%s: member '%s': unsupported compression method %u", z->path, NAME, e->method);
    /* Deflate expands at most ~1032:1; a larger claim is a corrupt (or hostile) header, refused
     * before anything is allocated for it. */
    if (e->size > e->comp_size * 1032 + 1024) FAIL("%s: member '%s': implausible size", z->path, NAME);
    out = xmalloc(e->size ? e->size : 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) FAIL("%s: zlib init failed", z->path);
    s.next_in = (Bytef *)src;
    s.next_out = out;
    uint64_t in_left = e->comp_size, out_left = e->size;
    int r = Z_OK;
    while (r == Z_OK) {
        uInt ci = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left, co = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
        s.avail_in = ci;
        s.avail_out = co;
        r = inflate(&s, Z_NO_FLUSH);
        in_left -= ci - s.avail_in;
        out_left -= co - s.avail_out;
        if (r == Z_OK && ci == s.avail_in && co == s.avail_out) r = Z_DATA_ERROR; /* no progress */
    }
    inflateEnd(&s);
    if (r != Z_STREAM_END || out_left != 0) FAIL("%s: member '%s': corrupt compressed data", z->path, NAME);
    if (crc32_z(0, out, e->size) != e->crc) FAIL("%s: member '%s': CRC mismatch (corrupt)", z->path, NAME);
    *len = e->size;
    *owned = 1;
    return out;
fail:
    free(out);
    return NULL;
#undef NAME
}

/* ---- writer ---- */

static void wr16(uint8_t *p, unsigned v) { p[0] = v, p[1] = v >> 8; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24; }

int zip_writer_open(ZipWriter *w, const char *path) {
    memset(w, 0, sizeof *w);
    return atomic_open(&w->af, path);
}

int zip_writer_begin(ZipWriter *w, const char *name, uint64_t total_len, uint32_t crc) {
    return zip_writer_begin_aligned(w, name, total_len, crc, 1);
}

int zip_writer_begin_aligned(ZipWriter *w, const char *name, uint64_t total_len, uint32_t crc, unsigned align) {
    if (total_len >= 0xFFFFFFFFu || w->off >= 0xFFFFFFFFu || align == 0 || align > 4096) {
        w->af.failed = 1;
        errno = EFBIG;
        return -1;
    }
    if (w->n == w->cap) w->e = xrealloc(w->e, (w->cap = w->cap ? 2 * w->cap : 16) * sizeof(ZipEntry));
    ZipEntry *e = &w->e[w->n++];
    size_t nl = strlen(name);
    e->name = xstrdup(name);
    e->size = e->comp_size = total_len;
    e->crc = crc;
    e->local_off = w->off;
    /* Padding extra field (id "FB", filled with 'Z', as PyTorch writes it) so the data starts on a
     * multiple of align; the central directory entry carries no extra field. */
    size_t pad = (align - (w->off + 30 + nl) % align) % align;
    while (pad && pad < 4) pad += align; /* an extra field needs 4 bytes of header */
    uint8_t h[30] = {0}, x[4 + 4096 + 4];
    wr32(h, 0x04034b50);
    wr16(h + 4, 20);
    wr16(h + 10, 0);      /* time 00:00:00 */
    wr16(h + 12, 0x0021); /* date 1980-01-01, as NumPy writes */
    wr32(h + 14, crc);
    wr32(h + 18, (uint32_t)total_len);
    wr32(h + 22, (uint32_t)total_len);
    wr16(h + 26, (unsigned)nl);
    wr16(h + 28, (unsigned)pad);
    atomic_write(&w->af, h, 30);
    atomic_write(&w->af, name, nl);
    if (pad) {
        wr16(x, 0x4246);
        wr16(x + 2, (unsigned)(pad - 4));
        memset(x + 4, 'Z', pad - 4);
        atomic_write(&w->af, x, pad);
    }
    w->off += 30 + nl + pad + total_len;
    return w->af.failed ? -1 : 0;
}

int zip_writer_write(ZipWriter *w, const void *data, size_t len) { return atomic_write(&w->af, data, len); }

int zip_writer_add(ZipWriter *w, const char *name, const void *data, size_t len) {
    if (zip_writer_begin(w, name, len, (uint32_t)crc32_z(0, data, len))) return -1;
    return zip_writer_write(w, data, len);
}

int zip_writer_close(ZipWriter *w) {
    uint64_t cd_start = w->off, cd_len = 0;
    for (int i = 0; i < w->n; i++) {
        ZipEntry *e = &w->e[i];
        size_t nl = strlen(e->name);
        uint8_t h[46] = {0};
        wr32(h, 0x02014b50);
        wr16(h + 4, 0x0314); /* made by Unix, 2.0 */
        wr16(h + 6, 20);
        wr16(h + 14, 0x0021);
        wr32(h + 16, e->crc);
        wr32(h + 20, (uint32_t)e->comp_size);
        wr32(h + 24, (uint32_t)e->size);
        wr16(h + 28, (unsigned)nl);
        wr32(h + 38, 0x01800000u); /* mode 0600 */
        wr32(h + 42, (uint32_t)e->local_off);
        atomic_write(&w->af, h, 46);
        atomic_write(&w->af, e->name, nl);
        cd_len += 46 + nl;
    }
    uint8_t eocd[22] = {0};
    wr32(eocd, 0x06054b50);
    wr16(eocd + 8, w->n);
    wr16(eocd + 10, w->n);
    wr32(eocd + 12, (uint32_t)cd_len);
    wr32(eocd + 16, (uint32_t)cd_start);
    atomic_write(&w->af, eocd, 22);
    int bad = w->n > 65535 || cd_start + cd_len >= 0xFFFFFFFFu;
    for (int i = 0; i < w->n; i++) free(w->e[i].name);
    free(w->e);
    if (bad) {
        atomic_abort(&w->af);
        errno = EFBIG;
        return -1;
    }
    return atomic_commit(&w->af);
}

void zip_writer_abort(ZipWriter *w) {
    for (int i = 0; i < w->n; i++) free(w->e[i].name);
    free(w->e);
    atomic_abort(&w->af);
}
