/* Annotation lists: the JSON files the reference reads and writes (a list of {"name": str, "label": int}),
 * written byte-for-byte as Python's json.dump(obj, f, indent=2), and the "name label" text lists. */
#ifndef FEDVSSL_ANNOTATIONS_H
#define FEDVSSL_ANNOTATIONS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *name;
    int64_t label;
} AnnEntry;

typedef struct {
    AnnEntry *e;
    int n, cap;
} AnnList;

void ann_push(AnnList *l, const char *name, int64_t label);
void ann_free(AnnList *l);

/* Parse JSON text. Keys other than "name"/"label" are ignored. On error returns -1 and err holds
 * "<label>:<line>:<col>: <problem>". Never reads past len. */
int ann_parse_json(const char *text, size_t len, const char *label, AnnList *out, char *err, size_t errlen);
int ann_load_json(const char *path, AnnList *out, char *err, size_t errlen);

/* "name label" lines (label optional when need_label is 0: then label = 0). Blank lines are skipped. */
int ann_parse_txt(const char *text, size_t len, const char *label, int need_label, AnnList *out, char *err,
                  size_t errlen);
int ann_load_txt(const char *path, int need_label, AnnList *out, char *err, size_t errlen);

/* Python json.dumps(list, indent=2) bytes (ensure_ascii, no trailing newline). Caller frees. */
char *ann_to_json(const AnnEntry *e, int n, size_t *len);
/* Atomic write of ann_to_json; 0 ok, -1 with errno. */
int ann_write_json(const char *path, const AnnEntry *e, int n);
/* "name label\n" lines, atomically. */
int ann_write_txt(const char *path, const AnnEntry *e, int n);

#endif
