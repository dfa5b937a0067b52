/* Annotation JSON / text lists, read with the strict JSON reader of io/json.c (every length checked, depth-limited, so a
 * damaged file gives an error, never a crash) and a writer matching Python's json.dump(indent=2). */
#include "annotations.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "../io/json.h"

void ann_push(AnnList *l, const char *name, int64_t label) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->e = xrealloc(l->e, (size_t)l->cap * sizeof *l->e);
    }
    l->e[l->n].name = xstrdup(name);
    l->e[l->n].label = label;
    l->n++;
}

void ann_free(AnnList *l) {
    for (int i = 0; i < l->n; i++) free(l->e[i].name);
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* Names are video paths: a control character (a newline from "\n", an escape) can only be damage. */
static int has_control(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
    return 0;
}

int ann_parse_json(const char *text, size_t len, const char *label, AnnList *out, char *err, size_t errlen) {
    JsonParser p = {.s = text, .len = len, .label = label, .err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    char *name = NULL;
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) p.pos = 3;
    if (json_peek(&p) != '[') {
        json_fail(&p, "expected a JSON list of {\"name\", \"label\"} objects");
        goto fail;
    }
    p.pos++;
    if (json_peek(&p) == ']') p.pos++;
    else
        for (;;) {
            if (json_peek(&p) != '{') {
                json_fail(&p, "entry %d: expected an object", out->n + 1);
                goto fail;
            }
            size_t obj_pos = p.pos;
            p.pos++;
            int64_t lab = 0;
            int have_label = 0;
            free(name), name = NULL;
            if (json_peek(&p) == '}') p.pos++;
            else
                for (;;) {
                    if (json_string(&p)) goto fail;
                    int key = !strcmp(p.buf, "name") ? 1 : !strcmp(p.buf, "label") ? 2 : 0;
                    if (json_peek(&p) != ':') {
                        json_fail(&p, "expected ':'");
                        goto fail;
                    }
                    p.pos++;
                    if (key == 1) {
                        if (json_string(&p)) goto fail;
                        if (has_control(p.buf)) {
                            json_fail(&p, "entry %d: \"name\" holds a control character (not a video name)", out->n + 1);
                            goto fail;
                        }
                        free(name), name = xstrdup(p.buf);
                    } else if (key == 2) {
                        int c = json_peek(&p), isi = 0;
                        if (!(c == '-' || (c >= '0' && c <= '9'))) {
                            json_fail(&p, "entry %d: \"label\" must be an integer", out->n + 1);
                            goto fail;
                        }
                        if (json_number(&p, &lab, &isi)) goto fail;
                        if (!isi) {
                            json_fail(&p, "entry %d: \"label\" must be an integer", out->n + 1);
                            goto fail;
                        }
                        have_label = 1;
                    } else if (json_skip(&p, 1))
                        goto fail;
                    int more = json_next(&p, '}');
                    if (more < 0) goto fail;
                    if (!more) break;
                }
            if (!name || !have_label) {
                p.pos = obj_pos;
                json_fail(&p, "entry %d: missing \"%s\"", out->n + 1, !name ? "name" : "label");
                goto fail;
            }
            ann_push(out, name, lab);
            int more = json_next(&p, ']');
            if (more < 0) goto fail;
            if (!more) break;
        }
    if (json_peek(&p) != -1) {
        json_fail(&p, "extra data after the list");
        goto fail;
    }
    free(name);
    free(p.buf);
    return 0;
fail:
    free(name);
    free(p.buf);
    ann_free(out);
    return -1;
}

/* A list file's bytes, or NULL with "<path>: <why>" in err (and out emptied either way). */
static char *list_bytes(const char *path, size_t *len, AnnList *out, char *err, size_t errlen) {
    const char *e;
    uint8_t *buf = read_file(path, len, &e);
    memset(out, 0, sizeof *out);
    if (!buf) snprintf(err, errlen, "%s: %s", path, e);
    return (char *)buf;
}

int ann_load_json(const char *path, AnnList *out, char *err, size_t errlen) {
    size_t len;
    char *buf = list_bytes(path, &len, out, err, errlen);
    if (!buf) return -1;
    int r = ann_parse_json(buf, len, path, out, err, errlen);
    free(buf);
    return r;
}

/* ---------------------------------------------------------------- text lists */
int ann_parse_txt(const char *text, size_t len, const char *label, int need_label, AnnList *out, char *err,
                  size_t errlen) {
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    int lineno = 0;
    char *line = NULL;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        lineno++;
        size_t n = end - pos;
        line = xrealloc(line, n + 1);
        memcpy(line, text + pos, n);
        line[n] = 0;
        pos = end + 1;
        if (memchr(line, 0, n)) {
            snprintf(err, errlen, "%s:%d: NUL byte in line", label, lineno);
            goto fail;
        }
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) continue;
        char *sp = s + strcspn(s, " \t");
        int64_t lab = 0;
        if (*sp) {
            *sp++ = 0;
            while (*sp == ' ' || *sp == '\t') sp++;
            char *endp;
            errno = 0;
            long long v = strtoll(sp, &endp, 10);
            if (endp == sp || *endp || errno) {
                char shown[48];
                snprintf(err, errlen, "%s:%d: expected '<name> <integer label>', got label '%s'", label, lineno,
                         printable(shown, sizeof shown, sp));
                goto fail;
            }
            lab = v;
        } else if (need_label) {
            snprintf(err, errlen, "%s:%d: missing label (expected '<name> <integer label>')", label, lineno);
            goto fail;
        }
        if (has_control(s)) {
            snprintf(err, errlen, "%s:%d: control character in the name (names are video paths)", label, lineno);
            goto fail;
        }
        ann_push(out, s, lab);
    }
    free(line);
    return 0;
fail:
    free(line);
    ann_free(out);
    return -1;
}

int ann_load_txt(const char *path, int need_label, AnnList *out, char *err, size_t errlen) {
    size_t len;
    char *buf = list_bytes(path, &len, out, err, errlen);
    if (!buf) return -1;
    int r = ann_parse_txt(buf, len, path, need_label, out, err, errlen);
    free(buf);
    return r;
}

/* ---------------------------------------------------------------- writers */
char *ann_to_json(const AnnEntry *e, int n, size_t *len) {
    StrBuf b = {0};
    char t[64];
    if (n == 0) sb_str(&b, "[]");
    else {
        sb_str(&b, "[\n");
        for (int i = 0; i < n; i++) {
            sb_str(&b, "  {\n    \"name\": ");
            jb_json_str(&b, e[i].name);
            snprintf(t, sizeof t, ",\n    \"label\": %lld\n  }%s", (long long)e[i].label, i + 1 < n ? ",\n" : "\n");
            sb_str(&b, t);
        }
        sb_str(&b, "]");
    }
    *len = b.n;
    return b.p;
}

int ann_write_json(const char *path, const AnnEntry *e, int n) {
    size_t len;
    char *s = ann_to_json(e, n, &len);
    AtomicFile af;
    int r = atomic_open(&af, path);
    if (!r) {
        atomic_write(&af, s, len);
        r = atomic_commit(&af);
    }
    free(s);
    return r;
}

int ann_write_txt(const char *path, const AnnEntry *e, int n) {
    AtomicFile af;
    if (atomic_open(&af, path)) return -1;
    char t[64];
    for (int i = 0; i < n; i++) {
        atomic_write(&af, e[i].name, strlen(e[i].name));
        snprintf(t, sizeof t, " %lld\n", (long long)e[i].label);
        atomic_write(&af, t, strlen(t));
    }
    return atomic_commit(&af);
}
