/* libFuzzer target: the report's inputs from outside (JSON documents, metrics.jsonl lines, results.json,
 * retrieval.json, per_class.tsv, config.yaml). Build and run:
 *   make fuzz && ./build/fuzz/fuzz_report -max_total_time=60
 * Besides not crashing: the page is always produced (the folder holds run files) and holds no '<script'
 * (every text from the files is escaped). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/io/json.h"
#include "../../src/report/report.h"
#include "../../src/report/svg.h"

static char dir[64];

static void put(const char *name, const uint8_t *d, size_t n) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    fwrite(d, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    char err[512];
    for (int nan = 0; nan < 2; nan++) {
        JsonValue *v = json_parse((const char *)data, len, "fuzz", nan, err, sizeof err);
        json_free(v);
    }
    if (!dir[0]) { /* in memory where there is a tmpfs: writing the files to a disk was most of the time */
        snprintf(dir, sizeof dir, "%s/fuzz_report_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    put("metrics.jsonl", data, len);
    put("results.json", data, len);
    put("retrieval.json", data, len);
    put("per_class.tsv", data, len);
    put("config.yaml", data, len);
    StrBuf b = {0};
    if (report_render(dir, &b, err, sizeof err) < 1) abort();
    if (strstr(b.p, "<script")) abort();
    free(b.p);
    return 0;
}
