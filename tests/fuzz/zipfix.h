/* For fuzzers of zip-based formats: a member's CRC-32 stops almost every mutation of its bytes at zip_read, so
 * the parsers behind it (NPY headers, pickles, JPEG frames) would see only the seeds. zip_fix_crcs rewrites, in
 * a copy of the input, the central directory's CRC of every stored member to that of the bytes that lie there,
 * walking the archive the way src/io/zip.c does (32-bit fields only; anything it cannot follow is left as is).
 * Harnesses run each input both ways: as given (the CRC checks themselves) and with the CRCs fixed. */
#ifndef FEDVSSL_FUZZ_ZIPFIX_H
#define FEDVSSL_FUZZ_ZIPFIX_H
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

static inline uint32_t zf_rd16(const uint8_t *p) { return (uint32_t)(p[0] | p[1] << 8); }
static inline uint32_t zf_rd32(const uint8_t *p) { return zf_rd16(p) | zf_rd16(p + 2) << 16; }

/* Returns the number of CRCs rewritten. */
static inline int zip_fix_crcs(uint8_t *d, size_t len) {
    if (len < 22) return 0;
    size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0, eocd = (size_t)-1;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (zf_rd32(d + i) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == (size_t)-1) return 0;
    size_t count = zf_rd16(d + eocd + 10), cd_size = zf_rd32(d + eocd + 12), cd_off = zf_rd32(d + eocd + 16);
    if (cd_off > len || cd_size > len - cd_off) return 0;
    size_t p = cd_off, end = cd_off + cd_size;
    int fixed = 0;
    for (size_t k = 0; k < count && end - p >= 46 && zf_rd32(d + p) == 0x02014b50; k++) {
        size_t nl = zf_rd16(d + p + 28), xl = zf_rd16(d + p + 30), cl = zf_rd16(d + p + 32);
        size_t method = zf_rd16(d + p + 10), size = zf_rd32(d + p + 24), loc = zf_rd32(d + p + 42);
        if (method == 0 && loc <= len && len - loc >= 30 && zf_rd32(d + loc) == 0x04034b50) {
            size_t start = loc + 30 + zf_rd16(d + loc + 26) + zf_rd16(d + loc + 28);
            if (start <= len && size <= len - start) {
                uint32_t crc = (uint32_t)crc32_z(0, d + start, size);
                d[p + 16] = (uint8_t)crc, d[p + 17] = (uint8_t)(crc >> 8), d[p + 18] = (uint8_t)(crc >> 16),
                d[p + 19] = (uint8_t)(crc >> 24);
                fixed++;
            }
        }
        if (end - p < 46 + nl + xl + cl) break;
        p += 46 + nl + xl + cl;
    }
    return fixed;
}
#endif
