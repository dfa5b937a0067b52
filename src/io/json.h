/* A small strict JSON reader (every length checked, depth-limited, errors as "<label>:<line>:<col>: ...")
 * and a writer whose strings match Python's json.dumps (ensure_ascii). Used by the annotation lists,
 * metrics.jsonl, the mmcv-style logs and the report. */
#ifndef FEDVSSL_JSON_H
#define FEDVSSL_JSON_H
#include <stddef.h>
#include <stdint.h>

#include "../core/strbuf.h"

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
/* After an item of a list (close ']') or object ('}'): 1 at a ',' (another item follows), 0 at close, -1 with the
 * error set otherwise; the ',' or close is consumed. */
int json_next(JsonParser *p, int close);
/* Skip any value, nested at most 64 deep. */
int json_skip(JsonParser *p, int depth);

/* s as a JSON string literal, as json.dumps(s) writes it. */
void jb_json_str(StrBuf *b, const char *s);
/* A float as Python's repr would write it (shortest round-trip form), "NaN"/"Infinity" as json.dumps. */
void jb_num(StrBuf *b, double v);

/* ---- a JSON document as a tree (results.json, retrieval.json, metrics.jsonl lines for the report) ---- */

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } JsonType;
typedef struct JsonValue {
    JsonType type;
    double num;               /* JV_NUM (integers too); JV_BOOL: 0 or 1 */
    char *str;                /* JV_STR: NUL-terminated UTF-8 */
    int n;                    /* JV_ARR, JV_OBJ: number of items */
    char **keys;              /* JV_OBJ: n keys (duplicates kept; json_get finds the last, as Python) */
    struct JsonValue *items;  /* JV_ARR, JV_OBJ: n values */
} JsonValue;

/* Parses one complete JSON text (nothing but white space after it), nested at most 64 deep.
 * allow_nan also takes NaN, Infinity and -Infinity, which json.dumps (and jb_num) write.
 * Returns a tree to free with json_free, or NULL with "<label>:<line>:<col>: ..." in err. */
JsonValue *json_parse(const char *s, size_t len, const char *label, int allow_nan, char *err, size_t errlen);
void json_free(JsonValue *v);
/* The member key of an object (NULL if v is not an object or has no such key). */
const JsonValue *json_get(const JsonValue *v, const char *key);
/* Member key as a number (NaN when missing or not a number), as a string (def when missing or not one). */
double json_get_num(const JsonValue *v, const char *key);
const char *json_get_str(const JsonValue *v, const char *key, const char *def);

#endif
