/* ZIP archives: a reader (stored and deflated members, Zip64 sizes) over an mmapped file or a
 * memory buffer, and a streaming writer of stored members (what np.savez and CtP frame packs use). */
#ifndef FEDVSSL_ZIP_H
#define FEDVSSL_ZIP_H
#include <stddef.h>
#include <stdint.h>

#include "../core/util.h"

typedef struct {
    char *name;
    uint64_t comp_size, size, local_off;
    uint32_t crc;
    uint16_t method; /* 0 stored, 8 deflate */
} ZipEntry;

typedef struct {
    const uint8_t *data;
    size_t len;
    int mapped;
    int n;
    ZipEntry *e;
    char *path; /* for messages */
} ZipReader;

/* Open a file. On failure returns -1 with a message "<path>: <problem>" in err. */
int zip_open(ZipReader *z, const char *path, char *err, size_t errlen);
/* Parse an archive held in memory (not copied; must outlive z). */
int zip_open_mem(ZipReader *z, const uint8_t *data, size_t len, const char *label, char *err, size_t errlen);
void zip_close(ZipReader *z);
int zip_find(const ZipReader *z, const char *name); /* index or -1 */
/* Member bytes. Stored members are returned in place (*owned = 0); deflated ones are inflated into
 * a new buffer (*owned = 1, free it). CRC is checked. Returns NULL and fills err on failure. */
const uint8_t *zip_read(const ZipReader *z, int i, size_t *len, int *owned, char *err, size_t errlen);

typedef struct {
    AtomicFile af;
    uint64_t off;
    int n, cap;
    ZipEntry *e;
} ZipWriter;

int zip_writer_open(ZipWriter *w, const char *path);
/* Add a stored member; data may be given in pieces: begin, write..., end. */
int zip_writer_add(ZipWriter *w, const char *name, const void *data, size_t len);
int zip_writer_begin(ZipWriter *w, const char *name, uint64_t total_len, uint32_t crc);
/* The same, with the member's data starting at a file offset that is a multiple of align (1..4096),
 * through a padding extra field in the local header (PyTorch aligns tensor data to 64). */
int zip_writer_begin_aligned(ZipWriter *w, const char *name, uint64_t total_len, uint32_t crc, unsigned align);
int zip_writer_write(ZipWriter *w, const void *data, size_t len);
/* Writes the central directory and atomically renames the file into place. */
int zip_writer_close(ZipWriter *w);
void zip_writer_abort(ZipWriter *w);

#endif
