/* Every input a fuzzer (tests/fuzz/, `make fuzz`) found a bug with stays here as a test: each must be
 * refused with an error, without a crash or a huge allocation. */
#include <stdlib.h>
#include <string.h>

#include "../src/core/util.h"
#include "../src/data/jpeg.h"
#include "../src/io/npy.h"
#include "check.h"

static uint8_t *load(const char *name, size_t *len) {
    char path[256];
    const char *e;
    snprintf(path, sizeof path, "tests/fuzz/regress/%s", name);
    uint8_t *d = read_file(path, len, &e);
    if (!d) die("%s: %s (run tests from the repository root)", path, e);
    return d;
}

int main(void) {
    char err[512];
    size_t len;
    /* a Zip64 locator in a file shorter than a Zip64 end record: read before the buffer */
    uint8_t *d = load("zip64_locator_short_file", &len);
    ZipReader z;
    CHECK(zip_open_mem(&z, d, len, "regress", err, sizeof err) != 0 && strstr(err, "Zip64"), "refused: %s", err);
    free(d);
    /* a JPEG header claiming a frame of gigabytes: refused before allocating */
    d = load("jpeg_huge_header", &len);
    uint8_t *out = NULL;
    size_t cap = 0;
    int w, h;
    int rc = len > 8 ? jpeg_decode_bgr(d + 8, len - 8, NULL, &out, &cap, &w, &h, err, sizeof err) : -1;
    CHECK(rc != 0 && cap < ((size_t)1 << 28), "refused (%s), %zu bytes allocated", err, cap);
    free(out);
    free(d);
    TEST_END();
}
