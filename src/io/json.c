/* JSON reader and writer (see json.h). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

/* ---------------------------------------------------------------- reader */
int json_fail(JsonParser *p, const char *fmt, ...) {
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

void json_ws(JsonParser *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r'))
        p->pos++;
}

int json_peek(JsonParser *p) {
    json_ws(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void bput(JsonParser *p, char c) {
    if (p->buflen + 1 >= p->bufcap) {
        p->bufcap = p->bufcap ? 2 * p->bufcap : 256;
        p->buf = xrealloc(p->buf, p->bufcap);
    }
    p->buf[p->buflen++] = c;
    p->buf[p->buflen] = 0;
}

static void bput_utf8(JsonParser *p, uint32_t c) {
    if (c < 0x80) bput(p, (char)c);
    else if (c < 0x800) bput(p, (char)(0xc0 | c >> 6)), bput(p, (char)(0x80 | (c & 63)));
    else if (c < 0x10000)
        bput(p, (char)(0xe0 | c >> 12)), bput(p, (char)(0x80 | ((c >> 6) & 63))), bput(p, (char)(0x80 | (c & 63)));
    else
        bput(p, (char)(0xf0 | c >> 18)), bput(p, (char)(0x80 | ((c >> 12) & 63))),
            bput(p, (char)(0x80 | ((c >> 6) & 63))), bput(p, (char)(0x80 | (c & 63)));
}

static int hex4(JsonParser *p, uint32_t *v) {
    if (p->len - p->pos < 4) return json_fail(p, "truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return json_fail(p, "bad \\u escape");
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* String into p->buf (NUL-terminated; embedded NULs rejected since names are paths). */
int json_string(JsonParser *p) {
    p->buflen = 0;
    bput(p, 0), p->buflen = 0;
    if (json_peek(p) != '"') return json_fail(p, "expected a string");
    p->pos++;
    for (;;) {
        if (p->pos >= p->len) return json_fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') return 0;
        if (c < 0x20) return json_fail(p, "control character in string");
        if (c != '\\') {
            bput(p, (char)c);
            continue;
        }
        if (p->pos >= p->len) return json_fail(p, "unterminated string");
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
            if (u == 0) return json_fail(p, "NUL character in string");
            bput_utf8(p, u);
            break;
        default: return json_fail(p, "bad escape \\%c", c);
        }
    }
}

/* Number; *is_int tells whether it was an integer literal that fits int64. */
int json_number(JsonParser *p, int64_t *iv, int *is_int) {
    size_t st = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    size_t d0 = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    if (p->pos == d0) return json_fail(p, "bad number");
    if (p->s[d0] == '0' && p->pos - d0 > 1) return json_fail(p, "number with a leading zero");
    *is_int = 1;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        *is_int = 0, p->pos++;
        size_t f0 = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
        if (p->pos == f0) return json_fail(p, "bad number");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        *is_int = 0, p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        size_t e0 = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
        if (p->pos == e0) return json_fail(p, "bad number");
    }
    if (*is_int) {
        if (p->pos - st > 19) return json_fail(p, "integer out of range");
        char tmp[24];
        memcpy(tmp, p->s + st, p->pos - st);
        tmp[p->pos - st] = 0;
        errno = 0;
        *iv = strtoll(tmp, NULL, 10);
        if (errno) return json_fail(p, "integer out of range");
    }
    return 0;
}

int json_lit(JsonParser *p, const char *w) {
    size_t n = strlen(w);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n)) return json_fail(p, "unexpected character");
    p->pos += n;
    return 0;
}

int json_next(JsonParser *p, int close) {
    int c = json_peek(p);
    if (c == ',' || c == close) return p->pos++, c == ',';
    return json_fail(p, c < 0 ? "unexpected end of file" : "expected ',' or '%c'", close);
}

int json_skip(JsonParser *p, int depth) {
    if (depth > 64) return json_fail(p, "nesting too deep");
    int c = json_peek(p);
    if (c == '"') return json_string(p);
    if (c == '-' || (c >= '0' && c <= '9')) {
        int64_t v;
        int isi;
        return json_number(p, &v, &isi);
    }
    if (c == 't') return json_lit(p, "true");
    if (c == 'f') return json_lit(p, "false");
    if (c == 'n') return json_lit(p, "null");
    if (c == '[' || c == '{') {
        int close = c == '[' ? ']' : '}';
        p->pos++;
        if (json_peek(p) == close) return p->pos++, 0;
        for (;;) {
            if (close == '}') {
                if (json_string(p)) return -1;
                if (json_peek(p) != ':') return json_fail(p, "expected ':'");
                p->pos++;
            }
            if (json_skip(p, depth + 1)) return -1;
            int more = json_next(p, close);
            if (more <= 0) return more;
        }
    }
    return json_fail(p, c < 0 ? "unexpected end of file" : "unexpected character");
}

/* ---------------------------------------------------------------- writer */
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
void jb_json_str(StrBuf *b, const char *s) {
    char t[16];
    sb_str(b, "\"");
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t c = utf8_next(&u);
        switch (c) {
        case '"': sb_str(b, "\\\""); break;
        case '\\': sb_str(b, "\\\\"); break;
        case '\n': sb_str(b, "\\n"); break;
        case '\r': sb_str(b, "\\r"); break;
        case '\t': sb_str(b, "\\t"); break;
        case '\b': sb_str(b, "\\b"); break;
        case '\f': sb_str(b, "\\f"); break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                t[0] = (char)c;
                sb_cat(b, t, 1);
            } else if (c < 0x10000) {
                snprintf(t, sizeof t, "\\u%04x", c);
                sb_str(b, t);
            } else {
                c -= 0x10000;
                snprintf(t, sizeof t, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
                sb_str(b, t);
            }
        }
    }
    sb_str(b, "\"");
}


void jb_num(StrBuf *b, double v) {
    if (isnan(v)) return sb_str(b, "NaN");
    if (isinf(v)) return sb_str(b, v > 0 ? "Infinity" : "-Infinity");
    char t[40];
    for (int prec = 1; prec <= 17; prec++) { /* shortest form that reads back the same, like repr() */
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    if (!strpbrk(t, ".eEn")) strcat(t, ".0"); /* a float stays a float */
    sb_str(b, t);
}

/* ---------------------------------------------------------------- tree */
static void jv_clear(JsonValue *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) {
        jv_clear(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items), free(v->keys), free(v->str);
    memset(v, 0, sizeof *v);
}

void json_free(JsonValue *v) {
    jv_clear(v);
    free(v);
}

static int jv_number(JsonParser *p, JsonValue *v) {
    size_t st = p->pos;
    int64_t iv;
    int is_int;
    if (json_number(p, &iv, &is_int)) return -1;
    size_t n = p->pos - st;
    char small[64], *t = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(t, p->s + st, n);
    t[n] = 0;
    v->type = JV_NUM;
    v->num = is_int ? (double)iv : strtod(t, NULL); /* the literal was checked: strtod reads all of it */
    if (t != small) free(t);
    return 0;
}

static int jv_value(JsonParser *p, JsonValue *v, int allow_nan, int depth) {
    memset(v, 0, sizeof *v);
    if (depth > 64) return json_fail(p, "nesting too deep");
    int c = json_peek(p);
    if (c == '"') {
        if (json_string(p)) return -1;
        v->type = JV_STR;
        v->str = xstrdup(p->buf ? p->buf : "");
        return 0;
    }
    if (allow_nan && (c == 'N' || c == 'I' || (c == '-' && p->pos + 1 < p->len && p->s[p->pos + 1] == 'I'))) {
        int neg = c == '-';
        if (neg) p->pos++;
        if (json_lit(p, c == 'N' ? "NaN" : "Infinity")) return -1;
        v->type = JV_NUM;
        v->num = c == 'N' ? NAN : neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return jv_number(p, v);
    if (c == 't' || c == 'f') {
        v->type = JV_BOOL;
        v->num = c == 't';
        return json_lit(p, c == 't' ? "true" : "false");
    }
    if (c == 'n') return json_lit(p, "null");
    if (c != '[' && c != '{') return json_fail(p, c < 0 ? "unexpected end of input" : "unexpected character");
    int obj = c == '{', close = obj ? '}' : ']', cap = 0;
    v->type = obj ? JV_OBJ : JV_ARR;
    p->pos++;
    if (json_peek(p) == close) return p->pos++, 0;
    for (;;) {
        if (v->n == cap) {
            cap = cap ? 2 * cap : 8;
            v->items = xrealloc(v->items, sizeof *v->items * (size_t)cap);
            if (obj) v->keys = xrealloc(v->keys, sizeof *v->keys * (size_t)cap);
        }
        if (obj) {
            if (json_string(p)) return -1;
            if (json_peek(p) != ':') return json_fail(p, "expected ':'");
            p->pos++;
        }
        /* the item counts once it exists, so a failure inside it is freed with the rest */
        JsonValue *it = &v->items[v->n];
        memset(it, 0, sizeof *it);
        if (obj) v->keys[v->n] = xstrdup(p->buf ? p->buf : "");
        v->n++;
        if (jv_value(p, it, allow_nan, depth + 1)) return -1;
        c = json_peek(p);
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == close) return p->pos++, 0;
        return json_fail(p, c < 0 ? "unexpected end of input" : "expected ',' or '%c'", close);
    }
}

JsonValue *json_parse(const char *s, size_t len, const char *label, int allow_nan, char *err, size_t errlen) {
    JsonParser p = {s, len, 0, label, err, errlen, 0, NULL, 0, 0};
    JsonValue *v = xcalloc(1, sizeof *v);
    int rc = jv_value(&p, v, allow_nan, 0);
    if (!rc && json_peek(&p) >= 0) rc = json_fail(&p, "unexpected text after the value");
    free(p.buf);
    if (rc) {
        json_free(v);
        return NULL;
    }
    return v;
}

const JsonValue *json_get(const JsonValue *v, const char *key) {
    if (!v || v->type != JV_OBJ) return NULL;
    for (int i = v->n - 1; i >= 0; i--)
        if (!strcmp(v->keys[i], key)) return &v->items[i];
    return NULL;
}

double json_get_num(const JsonValue *v, const char *key) {
    const JsonValue *m = json_get(v, key);
    return m && m->type == JV_NUM ? m->num : NAN;
}

const char *json_get_str(const JsonValue *v, const char *key, const char *def) {
    const JsonValue *m = json_get(v, key);
    return m && m->type == JV_STR ? m->str : def;
}
