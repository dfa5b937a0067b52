/* libFuzzer target: annotation lists (JSON and "name label" text) from outside. */
#include <stdint.h>

#include "../../src/data/annotations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[512];
    AnnList l = {0};
    if (!ann_parse_json((const char *)data, len, "fuzz", &l, err, sizeof err)) ann_free(&l);
    AnnList t = {0};
    if (!ann_parse_txt((const char *)data, len, "fuzz", 1, &t, err, sizeof err)) ann_free(&t);
    return 0;
}
