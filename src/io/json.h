/* A small strict JSON reader (every length checked, depth-limited, errors as "<label>:<line>:<col>: ...")
 * and a writer whose strings match Python's json.dumps (ensure_ascii). Used by the annotation lists,
 * metrics.jsonl, the mmcv-style logs and the report. */
#ifndef FEDVSSL_JSON_H
#define FEDVSSL_JSON_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *s;
    size_t len, pos;
    const char *label;
    char *err;
    size_t errlen;
    int failed;
    char *buf; /* string scratch */
    size_t bufcap, buflen;
} JsonParser;

/* Record a failure at the current position (only the first one is kept); returns -1. */
int json_fail(JsonParser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_ws(JsonParser *p);
/* Next non-space byte, or -1 at the end. */
int json_peek(JsonParser *p);
/* A string into p->buf (NUL-terminated; embedded NULs rejected). */
int json_string(JsonParser *p);
/* A number; *is_int tells whether it was an integer literal that fits int64 (then in *iv). */
int json_number(JsonParser *p, int64_t *iv, int *is_int);
int json_lit(JsonParser *p, const char *word);
/* Skip any value, nested at most 64 deep. */
int json_skip(JsonParser *p, int depth);

typedef struct {
    char *p;
    size_t n, cap;
} JsonBuf;

void jb_cat(JsonBuf *b, const char *s, size_t n);
void jb_str(JsonBuf *b, const char *s);
void jb_printf(JsonBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal, as json.dumps(s) writes it. */
void jb_json_str(JsonBuf *b, const char *s);
/* A float as Python's repr would write it (shortest round-trip form), "NaN"/"Infinity" as json.dumps. */
void jb_num(JsonBuf *b, double v);

#endif
