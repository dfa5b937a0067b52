/* Annotation JSON / text lists: a small strict JSON reader (every length checked, depth-limited, so a
 * damaged file gives an error, never a crash) and a writer matching Python's json.dump(indent=2). */
#include "annotations.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

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

/* ---------------------------------------------------------------- JSON reader */
typedef struct {
    const char *s;
    size_t len, pos;
    const char *label;
    char *err;
    size_t errlen;
    int failed;
    char *buf; /* string scratch */
    size_t bufcap, buflen;
} JP;

static int jfail(JP *p, const char *fmt, ...) {
    if (p->failed) return -1;
    p->failed = 1;
    int line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') line++, col = 1;
        else col++;
    }
    int k = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->label, line, col);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < p->errlen) vsnprintf(p->err + k, p->errlen - k, fmt, ap);
    va_end(ap);
    return -1;
}

static void jws(JP *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r'))
        p->pos++;
}

static int jpeek(JP *p) {
    jws(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void bput(JP *p, char c) {
    if (p->buflen + 1 >= p->bufcap) {
        p->bufcap = p->bufcap ? 2 * p->bufcap : 256;
        p->buf = xrealloc(p->buf, p->bufcap);
    }
    p->buf[p->buflen++] = c;
    p->buf[p->buflen] = 0;
}

static void bput_utf8(JP *p, uint32_t c) {
    if (c < 0x80) bput(p, (char)c);
    else if (c < 0x800) bput(p, (char)(0xc0 | c >> 6)), bput(p, (char)(0x80 | (c & 63)));
    else if (c < 0x10000)
        bput(p, (char)(0xe0 | c >> 12)), bput(p, (char)(0x80 | ((c >> 6) & 63))), bput(p, (char)(0x80 | (c & 63)));
    else
        bput(p, (char)(0xf0 | c >> 18)), bput(p, (char)(0x80 | ((c >> 12) & 63))),
            bput(p, (char)(0x80 | ((c >> 6) & 63))), bput(p, (char)(0x80 | (c & 63)));
}

static int hex4(JP *p, uint32_t *v) {
    if (p->len - p->pos < 4) return jfail(p, "truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return jfail(p, "bad \\u escape");
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* String into p->buf (NUL-terminated; embedded NULs rejected since names are paths). */
static int jstring(JP *p) {
    p->buflen = 0;
    bput(p, 0), p->buflen = 0;
    if (jpeek(p) != '"') return jfail(p, "expected a string");
    p->pos++;
    for (;;) {
        if (p->pos >= p->len) return jfail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') return 0;
        if (c < 0x20) return jfail(p, "control character in string");
        if (c != '\\') {
            bput(p, (char)c);
            continue;
        }
        if (p->pos >= p->len) return jfail(p, "unterminated string");
        c = (unsigned char)p->s[p->pos++];
        uint32_t u;
        switch (c) {
        case '"': bput(p, '"'); break;
        case '\\': bput(p, '\\'); break;
        case '/': bput(p, '/'); break;
        case 'b': bput(p, '\b'); break;
        case 'f': bput(p, '\f'); break;
        case 'n': bput(p, '\n'); break;
        case 'r': bput(p, '\r'); break;
        case 't': bput(p, '\t'); break;
        case 'u':
            if (hex4(p, &u)) return -1;
            if (u >= 0xd800 && u < 0xdc00 && p->len - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                size_t save = p->pos;
                uint32_t lo;
                p->pos += 2;
                if (hex4(p, &lo)) return -1;
                if (lo >= 0xdc00 && lo < 0xe000) u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                else p->pos = save;
            }
            if (u == 0) return jfail(p, "NUL character in string");
            bput_utf8(p, u);
            break;
        default: return jfail(p, "bad escape \\%c", c);
        }
    }
}

/* Number; *is_int tells whether it was an integer literal that fits int64. */
static int jnumber(JP *p, int64_t *iv, int *is_int) {
    size_t st = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    size_t d0 = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == d0) return jfail(p, "bad number");
    if (p->s[d0] == '0' && p->pos - d0 > 1) return jfail(p, "number with a leading zero");
    *is_int = 1;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        *is_int = 0, p->pos++;
        size_t f0 = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
        if (p->pos == f0) return jfail(p, "bad number");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        *is_int = 0, p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        size_t e0 = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
        if (p->pos == e0) return jfail(p, "bad number");
    }
    if (*is_int) {
        if (p->pos - st > 19) return jfail(p, "integer out of range");
        char tmp[24];
        memcpy(tmp, p->s + st, p->pos - st);
        tmp[p->pos - st] = 0;
        errno = 0;
        *iv = strtoll(tmp, NULL, 10);
        if (errno) return jfail(p, "integer out of range");
    }
    return 0;
}

static int jlit(JP *p, const char *w) {
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n)) return jfail(p, "unexpected character");
    p->pos += n;
    return 0;
}

static int jskip(JP *p, int depth) {
    if (depth > 64) return jfail(p, "nesting too deep");
    int c = jpeek(p);
    if (c == '"') return jstring(p);
    if (c == '-' || (c >= '0' && c <= '9')) {
        int64_t v;
        int isi;
        return jnumber(p, &v, &isi);
    }
    if (c == 't') return jlit(p, "true");
    if (c == 'f') return jlit(p, "false");
    if (c == 'n') return jlit(p, "null");
    if (c == '[' || c == '{') {
        int close = c == '[' ? ']' : '}';
        p->pos++;
        if (jpeek(p) == close) return p->pos++, 0;
        for (;;) {
            if (close == '}') {
                if (jstring(p)) return -1;
                if (jpeek(p) != ':') return jfail(p, "expected ':'");
                p->pos++;
            }
            if (jskip(p, depth + 1)) return -1;
            c = jpeek(p);
            if (c == ',') {
                p->pos++;
                continue;
            }
            if (c == close) return p->pos++, 0;
            return jfail(p, c < 0 ? "unexpected end of file" : "expected ',' or '%c'", close);
        }
    }
    return jfail(p, c < 0 ? "unexpected end of file" : "unexpected character");
}

int ann_parse_json(const char *text, size_t len, const char *label, AnnList *out, char *err, size_t errlen) {
    JP p = {.s = text, .len = len, .label = label, .err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    char *name = NULL;
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) p.pos = 3;
    if (jpeek(&p) != '[') {
        jfail(&p, "expected a JSON list of {\"name\", \"label\"} objects");
        goto fail;
    }
    p.pos++;
    if (jpeek(&p) == ']') p.pos++;
    else
        for (;;) {
            if (jpeek(&p) != '{') {
                jfail(&p, "entry %d: expected an object", out->n + 1);
                goto fail;
            }
            size_t obj_pos = p.pos;
            p.pos++;
            int64_t lab = 0;
            int have_label = 0;
            free(name), name = NULL;
            if (jpeek(&p) == '}') p.pos++;
            else
                for (;;) {
                    if (jstring(&p)) goto fail;
                    int key = !strcmp(p.buf, "name") ? 1 : !strcmp(p.buf, "label") ? 2 : 0;
                    if (jpeek(&p) != ':') {
                        jfail(&p, "expected ':'");
                        goto fail;
                    }
                    p.pos++;
                    if (key == 1) {
                        if (jstring(&p)) goto fail;
                        free(name), name = xstrdup(p.buf);
                    } else if (key == 2) {
                        int c = jpeek(&p), isi = 0;
                        if (!(c == '-' || (c >= '0' && c <= '9'))) {
                            jfail(&p, "entry %d: \"label\" must be an integer", out->n + 1);
                            goto fail;
                        }
                        if (jnumber(&p, &lab, &isi)) goto fail;
                        if (!isi) {
                            jfail(&p, "entry %d: \"label\" must be an integer", out->n + 1);
                            goto fail;
                        }
                        have_label = 1;
                    } else if (jskip(&p, 1))
                        goto fail;
                    int c = jpeek(&p);
                    if (c == ',') {
                        p.pos++;
                        continue;
                    }
                    if (c == '}') {
                        p.pos++;
                        break;
                    }
                    jfail(&p, c < 0 ? "unexpected end of file" : "expected ',' or '}'");
                    goto fail;
                }
            if (!name || !have_label) {
                p.pos = obj_pos;
                jfail(&p, "entry %d: missing \"%s\"", out->n + 1, !name ? "name" : "label");
                goto fail;
            }
            ann_push(out, name, lab);
            int c = jpeek(&p);
            if (c == ',') {
                p.pos++;
                continue;
            }
            if (c == ']') {
                p.pos++;
                break;
            }
            jfail(&p, c < 0 ? "unexpected end of file" : "expected ',' or ']'");
            goto fail;
        }
    if (jpeek(&p) != -1) {
        jfail(&p, "extra data after the list");
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

int ann_load_json(const char *path, AnnList *out, char *err, size_t errlen) {
    size_t len;
    const char *e;
    uint8_t *buf = read_file(path, &len, &e);
    memset(out, 0, sizeof *out);
    if (!buf) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    int r = ann_parse_json((const char *)buf, len, path, out, err, errlen);
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
                snprintf(err, errlen, "%s:%d: expected '<name> <integer label>', got label '%.40s'", label, lineno, sp);
                goto fail;
            }
            lab = v;
        } else if (need_label) {
            snprintf(err, errlen, "%s:%d: missing label (expected '<name> <integer label>')", label, lineno);
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
    const char *e;
    uint8_t *buf = read_file(path, &len, &e);
    memset(out, 0, sizeof *out);
    if (!buf) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    int r = ann_parse_txt((const char *)buf, len, path, need_label, out, err, errlen);
    free(buf);
    return r;
}

/* ---------------------------------------------------------------- writers */
typedef struct {
    char *p;
    size_t n, cap;
} Buf;

static void bcat(Buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void bstr(Buf *b, const char *s) { bcat(b, s, strlen(s)); }

/* Decode one UTF-8 sequence; invalid bytes give U+FFFD (Python would not have such a str at all). */
static uint32_t utf8_next(const unsigned char **sp) {
    const unsigned char *s = *sp;
    uint32_t c = s[0];
    int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0) return *sp = s + 1, 0xfffd;
    c &= n == 0 ? 0x7f : n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07;
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xc0) != 0x80) return *sp = s + 1, 0xfffd;
        c = c << 6 | (s[i] & 0x3f);
    }
    *sp = s + n + 1;
    return c;
}

/* json.dumps string with ensure_ascii=True. */
static void json_str(Buf *b, const char *s) {
    char t[16];
    bstr(b, "\"");
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t c = utf8_next(&u);
        switch (c) {
        case '"': bstr(b, "\\\""); break;
        case '\\': bstr(b, "\\\\"); break;
        case '\n': bstr(b, "\\n"); break;
        case '\r': bstr(b, "\\r"); break;
        case '\t': bstr(b, "\\t"); break;
        case '\b': bstr(b, "\\b"); break;
        case '\f': bstr(b, "\\f"); break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                t[0] = (char)c;
                bcat(b, t, 1);
            } else if (c < 0x10000) {
                snprintf(t, sizeof t, "\\u%04x", c);
                bstr(b, t);
            } else {
                c -= 0x10000;
                snprintf(t, sizeof t, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
                bstr(b, t);
            }
        }
    }
    bstr(b, "\"");
}

char *ann_to_json(const AnnEntry *e, int n, size_t *len) {
    Buf b = {0};
    char t[64];
    if (n == 0) bstr(&b, "[]");
    else {
        bstr(&b, "[\n");
        for (int i = 0; i < n; i++) {
            bstr(&b, "  {\n    \"name\": ");
            json_str(&b, e[i].name);
            snprintf(t, sizeof t, ",\n    \"label\": %lld\n  }%s", (long long)e[i].label, i + 1 < n ? ",\n" : "\n");
            bstr(&b, t);
        }
        bstr(&b, "]");
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
