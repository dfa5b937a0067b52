/* Configuration tables: defaults, YAML files (libyaml's event parser), key=value overrides, the
 * resolved configuration written back as YAML, and the help text. Config files come from users, so
 * every problem is a returned one-line message with file:line, never a crash or an assert. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "strbuf.h"
#include "util.h"

/* ---- strings the module owns (values copied from argv and YAML), freed by config_free ---- */

static char **pool;
static int npool, cappool;

static const char *keep(const char *s, size_t n) {
    if (npool == cappool) {
        cappool = cappool ? 2 * cappool : 32;
        pool = xrealloc(pool, (size_t)cappool * sizeof *pool);
    }
    char *c = xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    return pool[npool++] = c;
}

void config_free(void) {
    for (int i = 0; i < npool; i++) free(pool[i]);
    free(pool);
    pool = NULL;
    npool = cappool = 0;
}

/* ---- small helpers ---- */

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A value or key as it goes into a one-line message: at most 48 bytes (cut at a character boundary),
 * control characters as '?'. */
static const char *show(const char *s, size_t n, char *buf, size_t cap) {
    size_t lim = cap - 4 < 48 ? cap - 4 : 48, o = 0;
    int cut = n > lim;
    if (cut) {
        n = lim;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    for (size_t i = 0; i < n; i++) buf[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (cut) buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
    buf[o] = 0;
    return buf;
}

static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], cp;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) k = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) k = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) k = 3, cp = c & 0x07;
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Shortest text that reads back as x; yaml_float: always a float literal for YAML 1.1 readers
 * (PyYAML wants a '.': 1.0, 1.0e-05). */
static const char *fmt_num(double x, char *buf, size_t cap, int yaml_float) {
    int p = 1;
    for (; p < 17; p++) {
        snprintf(buf, cap, "%.*g", p, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* 40, not 4e+01: enough digits for the integer part of numbers below 1e16 */
    double ax = fabs(x);
    int digits = ax >= 1 && ax < 1e16 ? (int)floor(log10(ax)) + 1 : 0;
    snprintf(buf, cap, "%.*g", p > digits ? p : digits, x);
    if (yaml_float && isfinite(x) && !strchr(buf, '.')) {
        char *e = strchr(buf, 'e');
        size_t n = strlen(buf);
        if (n + 3 <= cap) {
            if (e) {
                memmove(e + 2, e, strlen(e) + 1);
                e[0] = '.', e[1] = '0';
            } else
                strcat(buf, ".0");
        }
    }
    return buf;
}

/* '_' and '-' are the same in key names. */
static int key_eq(const char *key, const char *s, size_t n) {
    if (strlen(key) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] != s[i] && !((key[i] == '-' || key[i] == '_') && (s[i] == '-' || s[i] == '_'))) return 0;
    return 1;
}

static int find_key(const CfgKey *keys, int nkeys, const char *s, size_t n) {
    for (int i = 0; i < nkeys; i++)
        if (key_eq(keys[i].key, s, n)) return i;
    return -1;
}

/* Is s (n bytes) a group, i.e. the part before a '.' of some key? Returns that key or -1. */
static int find_group(const CfgKey *keys, int nkeys, const char *s, size_t n) {
    for (int i = 0; i < nkeys; i++) {
        const char *k = keys[i].key;
        if (strlen(k) > n && k[n] == '.') {
            size_t j = 0;
            while (j < n && (k[j] == s[j] || ((k[j] == '-' || k[j] == '_') && (s[j] == '-' || s[j] == '_')))) j++;
            if (j == n) return i;
        }
    }
    return -1;
}

static int norm(int c) { return c == '-' ? '_' : tolower(c); }

static int edit_distance(const char *a, size_t na, const char *b, size_t nb) {
    int row[130];
    if (na > 128 || nb > 128) return 1 << 20;
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j], cost = norm((unsigned char)a[i - 1]) != norm((unsigned char)b[j - 1]);
            int v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            diag = up;
            row[j] = v;
        }
    }
    return row[nb];
}

/* The edit distance of names of lengths a and b is at least their difference: beyond lim, not worth computing. */
static int too_far(size_t a, size_t b, int lim) { return (a > b ? a - b : b - a) > (size_t)lim; }

/* The key a misspelt or unqualified name most likely meant ("mixcoeff" -> "strategy.mix_coeff"), or -1. */
static int suggest(const CfgKey *keys, int nkeys, const char *s, size_t n) {
    int best = -1, bd = 1 << 20, dotted = memchr(s, '.', n) != NULL;
    int lim = (int)n / 3;
    if (lim < 1) lim = 1;
    if (lim > 3) lim = 3;
    for (int i = 0; i < nkeys; i++) {
        const char *k = keys[i].key, *last = strrchr(k, '.');
        size_t nk = strlen(k), nl = last ? strlen(last + 1) : 0;
        int d = too_far(nk, n, lim) ? 1 << 20 : edit_distance(s, n, k, nk);
        if (!dotted && last && !too_far(nl, n, lim)) {
            int dl = edit_distance(s, n, last + 1, nl);
            if (dl < d) d = dl;
        }
        if (d < bd) bd = d, best = i;
    }
    return bd <= lim && bd < (int)n ? best : -1;
}

static void unknown_key(const CfgKey *keys, int nkeys, const char *where, const char *s, size_t n, char *err,
                        size_t errlen) {
    char b[64];
    int g = suggest(keys, nkeys, s, n);
    if (g >= 0)
        seterr(err, errlen, "%sunknown key '%s' (did you mean '%s'?)", where, show(s, n, b, sizeof b), keys[g].key);
    else
        seterr(err, errlen, "%sunknown key '%s' (see --help)", where, show(s, n, b, sizeof b));
}

/* ---- values ---- */

static int is_null(const char *v) {
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static int int_open_hi(const CfgKey *k) { return k->max >= 1e300 || (k->type == CFG_INT && k->max >= INT_MAX); }
static int int_open_lo(const CfgKey *k) { return k->min <= -1e300 || (k->type == CFG_INT && k->min <= INT_MIN); }

/* ">= 1", "<= 5", "in [0, 1]", or "" without bounds. */
static const char *range_text(const CfgKey *k, char *buf, size_t cap) {
    char a[32], b[32];
    buf[0] = 0;
    if (!(k->min < k->max) || (k->type != CFG_INT && k->type != CFG_FLOAT && k->type != CFG_FLOATS)) return buf;
    int lo = !int_open_lo(k), hi = !int_open_hi(k);
    fmt_num(k->min, a, sizeof a, 0);
    fmt_num(k->max, b, sizeof b, 0);
    if (lo && hi) snprintf(buf, cap, "in [%s, %s]", a, b);
    else if (lo) snprintf(buf, cap, ">= %s", a);
    else if (hi) snprintf(buf, cap, "<= %s", b);
    return buf;
}

static const char *in_range(const CfgKey *k, double x, char *msg, size_t ml) {
    char r[80];
    if (k->min < k->max && (x < k->min || x > k->max)) {
        snprintf(msg, ml, "must be %s", range_text(k, r, sizeof r));
        return msg;
    }
    return NULL;
}

static const char *parse_number(const CfgKey *k, const char *v, size_t n, double *out, char *msg, size_t ml) {
    char small[64], *buf = n < sizeof small ? small : xmalloc(n + 1), *end;
    memcpy(buf, v, n);
    buf[n] = 0;
    double x = n && !isspace((unsigned char)v[0]) ? strtod(buf, &end) : 0;
    int bad = !n || isspace((unsigned char)v[0]) || *end || end == buf;
    if (buf != small) free(buf);
    if (bad) return "expected a number";
    if (!isfinite(x)) return "expected a finite number";
    *out = x;
    return in_range(k, x, msg, ml);
}

typedef struct {
    long i;
    double f;
    const char *s;
    size_t slen;
    CfgFloats l;
} Val;

static int enum_pick(const char *choices, const char *v, const char **s, size_t *n) {
    size_t vl = strlen(v);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == vl && !memcmp(c, v, vl)) {
            *s = c, *n = cl;
            return 1;
        }
        c += cl + (bar != NULL);
    }
    return 0;
}

/* "a|b|c" -> "a, b, c" */
static const char *choice_list(const char *choices, char *buf, size_t cap) {
    size_t o = 0;
    for (const char *c = choices; *c && o + 3 < cap; c++) {
        if (*c == '|') buf[o++] = ',', buf[o++] = ' ';
        else buf[o++] = *c;
    }
    buf[o] = 0;
    return buf;
}

/* A float list as text: "[60, 120]", "60,120", "60", "[]" or "". */
static const char *parse_floats(const CfgKey *k, const char *v, CfgFloats *out, char *msg, size_t ml) {
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1])) n--;
    while (n && isspace((unsigned char)*v)) v++, n--;
    if (n && *v == '[') {
        if (v[n - 1] != ']') return "expected a list of numbers, e.g. [60, 120]";
        v++, n -= 2;
    }
    out->n = 0;
    const char *p = v, *e = v + n;
    while (p < e && isspace((unsigned char)*p)) p++;
    if (p == e) return NULL;
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(e - p)), *q = c ? c : e;
        const char *a = p, *b = q;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        double x;
        const char *m = parse_number(k, a, (size_t)(b - a), &x, msg, ml);
        if (m) return m == msg ? m : "expected a list of numbers, e.g. [60, 120]";
        if (out->n == CFG_FLOATS_MAX) {
            snprintf(msg, ml, "at most %d values", CFG_FLOATS_MAX);
            return msg;
        }
        out->v[out->n++] = x;
        if (!c) return NULL;
        p = c + 1;
    }
}

/* Checks the text v for key k (null: a YAML null or its command-line spelling); NULL or the problem. */
static const char *convert(const CfgKey *k, const char *v, int null, Val *out, char *msg, size_t ml) {
    switch (k->type) {
    case CFG_INT: {
        char *end;
        if (!*v || isspace((unsigned char)*v)) return "expected an integer";
        errno = 0;
        long x = strtol(v, &end, 10);
        if (*end || end == v) return "expected an integer";
        if (errno == ERANGE || x < INT_MIN || x > INT_MAX) return "integer out of range";
        out->i = x;
        return in_range(k, (double)x, msg, ml);
    }
    case CFG_FLOAT: return parse_number(k, v, strlen(v), &out->f, msg, ml);
    case CFG_BOOL: {
        static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (!strcasecmp(v, yes[i])) return out->i = 1, NULL;
            if (!strcasecmp(v, no[i])) return out->i = 0, NULL;
        }
        return "expected true or false";
    }
    case CFG_STR:
        out->s = null ? "" : v;
        out->slen = strlen(out->s);
        if (!utf8_valid((const unsigned char *)out->s, out->slen)) return "not valid UTF-8";
        return NULL;
    case CFG_ENUM: {
        char b[200];
        if (!null && enum_pick(k->choices, v, &out->s, &out->slen)) return NULL;
        snprintf(msg, ml, "allowed values are %s", choice_list(k->choices, b, sizeof b));
        return msg;
    }
    case CFG_FLOATS:
        if (null) return out->l.n = 0, NULL;
        return parse_floats(k, v, &out->l, msg, ml);
    case CFG_IGNORED: return NULL;
    }
    return "bad type";
}

/* The ignored keys met while parsing, for config_cli's one warning ("key (why); ..."). */
static char ignored_seen[2048];
static void note_ignored(const CfgKey *k) {
    char item[400];
    snprintf(item, sizeof item, "%s (%s)", k->key, k->help ? k->help : "not used");
    if (strstr(ignored_seen, item)) return;
    size_t n = strlen(ignored_seen);
    snprintf(ignored_seen + n, sizeof ignored_seen - n, "%s%s", n ? "; " : "", item);
}

static void store(const CfgKey *k, const Val *v) {
    switch (k->type) {
    case CFG_INT:
    case CFG_BOOL: *(int *)k->dst = (int)v->i; break;
    case CFG_FLOAT: *(double *)k->dst = v->f; break;
    case CFG_STR:
    case CFG_ENUM: *(const char **)k->dst = keep(v->s, v->slen); break;
    case CFG_FLOATS: *(CfgFloats *)k->dst = v->l; break;
    case CFG_IGNORED: note_ignored(k); break;
    }
}

/* where: "" or "file:line: " */
static int set_value(const CfgKey *k, const char *v, int null, const char *where, char *err, size_t errlen) {
    Val val;
    char msg[256], b[64];
    const char *m = convert(k, v, null, &val, msg, sizeof msg);
    if (m) {
        seterr(err, errlen, "%s%s=%s: %s", where, k->key, show(v, strlen(v), b, sizeof b), m);
        return -1;
    }
    store(k, &val);
    return 0;
}

static int set_by_name(const CfgKey *keys, int nkeys, const char *name, size_t n, const char *v, char *err,
                       size_t errlen) {
    int k = find_key(keys, nkeys, name, n);
    if (k < 0) {
        unknown_key(keys, nkeys, "", name, n, err, errlen);
        return -1;
    }
    return set_value(&keys[k], v, is_null(v), "", err, errlen);
}

int config_set(const CfgKey *keys, int nkeys, const char *key, const char *value, char *err, size_t errlen) {
    return set_by_name(keys, nkeys, key, strlen(key), value, err, errlen);
}

/* ---- the table and its defaults ---- */

static const char *check_name(const char *key) {
    if (!key || !*key) return "empty key";
    if (!strcmp(key, "config")) return "'config' is reserved for the file";
    for (const char *p = key; *p; p++) {
        if (*p == '.') {
            if (p == key || !p[1] || p[1] == '.') return "empty component";
        } else if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return "characters other than a-z, 0-9, '_' and '.'";
    }
    return NULL;
}

int config_set_defaults(const CfgKey *keys, int nkeys, char *err, size_t errlen) {
    for (int i = 0; i < nkeys; i++) {
        const CfgKey *k = &keys[i];
        const char *m = check_name(k->key);
        if (!m && !k->dst && k->type != CFG_IGNORED) m = "no destination";
        if (!m && (unsigned)k->type > CFG_IGNORED) m = "bad type";
        if (!m && k->type == CFG_ENUM && (!k->choices || !*k->choices)) m = "an enum without choices";
        for (int j = 0; !m && j < i; j++) {
            size_t a = strlen(keys[j].key), b = strlen(k->key);
            if (!strcmp(keys[j].key, k->key)) m = "given twice";
            else if ((a < b && !strncmp(keys[j].key, k->key, a) && k->key[a] == '.') ||
                     (b < a && !strncmp(keys[j].key, k->key, b) && keys[j].key[b] == '.'))
                m = "both a key and a group";
        }
        if (m) {
            seterr(err, errlen, "internal: config key '%s': %s", k->key ? k->key : "(null)", m);
            return -1;
        }
        const char *def = k->def ? k->def : "";
        if (k->type == CFG_IGNORED) continue;
        if (k->type == CFG_STR) { /* a literal: point at the table's own text */
            *(const char **)k->dst = def;
            continue;
        }
        char e[256];
        if (set_value(k, def, 0, "", e, sizeof e)) {
            seterr(err, errlen, "internal: default %s", e);
            return -1;
        }
    }
    return 0;
}

/* ---- YAML ---- */

typedef struct {
    yaml_parser_t p;
    yaml_event_t ev;
    int has_ev;
    const CfgKey *keys;
    int nkeys;
    const char *label;
    char *err;
    size_t errlen;
    size_t *line; /* per key: the line the file set it on, 0 = not set */
} Yaml;

static size_t ev_line(const Yaml *y) { return y->ev.start_mark.line + 1; }

static int y_next(Yaml *y) {
    if (y->has_ev) yaml_event_delete(&y->ev), y->has_ev = 0;
    if (yaml_parser_parse(&y->p, &y->ev)) return y->has_ev = 1, 0;
    const yaml_parser_t *p = &y->p;
    const char *prob = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        seterr(y->err, y->errlen, "%s: out of memory reading YAML", y->label);
    else if (p->error == YAML_READER_ERROR)
        seterr(y->err, y->errlen, "%s: byte %zu: %s", y->label, p->problem_offset, prob);
    else if (p->context)
        seterr(y->err, y->errlen, "%s:%zu: %s (%s on line %zu)", y->label, p->problem_mark.line + 1, prob, p->context,
               p->context_mark.line + 1);
    else
        seterr(y->err, y->errlen, "%s:%zu: %s", y->label, p->problem_mark.line + 1, prob);
    return -1;
}

static int y_fail(Yaml *y, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Consumes the rest of the node whose first event is current. The depth limit also bounds libyaml's
 * work, which grows with the square of the nesting. */
static int y_skip(Yaml *y) {
    int depth = 0;
    for (;;) {
        yaml_event_type_t t = y->ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) depth++;
        else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) depth--;
        if (depth <= 0) return 0;
        if (depth > 64) return y_fail(y, ev_line(y), "lists or mappings nested more than 64 deep");
        if (y_next(y)) return -1;
    }
}

static const char *type_text(const CfgKey *k, char *buf, size_t cap) {
    char b[200];
    switch (k->type) {
    case CFG_INT: return "an integer";
    case CFG_FLOAT: return "a number";
    case CFG_BOOL: return "true or false";
    case CFG_STR: return "a string";
    case CFG_ENUM: snprintf(buf, cap, "one of %s", choice_list(k->choices, b, sizeof b)); return buf;
    case CFG_FLOATS: return "a list of numbers";
    case CFG_IGNORED: return "a value (ignored)";
    }
    return "?";
}

static int y_fail(Yaml *y, size_t line, const char *fmt, ...) {
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    seterr(y->err, y->errlen, "%s:%zu: %s", y->label, line, m);
    return -1;
}

static int y_mapping(Yaml *y, const char *prefix);

/* The value node of key `full` (table index k, or -1) is the current event. */
static int y_value(Yaml *y, const char *full, int k, size_t kline) {
    const yaml_event_t *ev = &y->ev;
    size_t line = ev_line(y);
    char where[300], tb[240];
    if (ev->type == YAML_ALIAS_EVENT) return y_fail(y, line, "%s: aliases (*name) are not supported", full);
    if (k < 0) {
        int g = find_group(y->keys, y->nkeys, full, strlen(full));
        if (g < 0) {
            unknown_key(y->keys, y->nkeys, "", full, strlen(full), tb, sizeof tb);
            return y_fail(y, kline, "%s", tb);
        }
        if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.plain_implicit && is_null((const char *)ev->data.scalar.value))
            return 0; /* an empty group: "strategy:" with every key commented out */
        if (ev->type != YAML_MAPPING_START_EVENT)
            return y_fail(y, line, "%s: expected a mapping of its keys, e.g. %s", full, y->keys[g].key);
        size_t n = strlen(full);
        char *pre = xmalloc(n + 2);
        memcpy(pre, full, n);
        pre[n] = '.', pre[n + 1] = 0;
        int rc = y_mapping(y, pre);
        free(pre);
        return rc;
    }
    const CfgKey *key = &y->keys[k];
    if (y->line[k]) return y_fail(y, kline, "%s: given twice (first on line %zu)", key->key, y->line[k]);
    y->line[k] = kline;
    if (ev->type == YAML_MAPPING_START_EVENT)
        return y_fail(y, line, "%s: expected %s, got a mapping", key->key, type_text(key, tb, sizeof tb));
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        if (key->type != CFG_FLOATS)
            return y_fail(y, line, "%s: expected %s, got a list", key->key, type_text(key, tb, sizeof tb));
        CfgFloats l = {0};
        for (;;) {
            if (y_next(y)) return -1;
            if (ev->type == YAML_SEQUENCE_END_EVENT) break;
            line = ev_line(y);
            if (ev->type != YAML_SCALAR_EVENT) return y_fail(y, line, "%s: expected a list of numbers", key->key);
            const char *s = (const char *)ev->data.scalar.value;
            char msg[200], b[64];
            double x;
            const char *m = parse_number(key, s, ev->data.scalar.length, &x, msg, sizeof msg);
            if (!m && l.n == CFG_FLOATS_MAX) {
                snprintf(msg, sizeof msg, "at most %d values", CFG_FLOATS_MAX);
                m = msg;
            }
            if (m) return y_fail(y, line, "%s: item '%s': %s", key->key, show(s, ev->data.scalar.length, b, sizeof b), m);
            l.v[l.n++] = x;
        }
        *(CfgFloats *)key->dst = l;
        return 0;
    }
    /* a scalar */
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (memchr(s, 0, n)) return y_fail(y, line, "%s: a NUL character in the value", key->key);
    snprintf(where, sizeof where, "%s:%zu: ", y->label, line);
    return set_value(key, s, ev->data.scalar.plain_implicit && is_null(s), where, y->err, y->errlen);
}

static int y_mapping(Yaml *y, const char *prefix) {
    for (;;) {
        if (y_next(y)) return -1;
        const yaml_event_t *ev = &y->ev;
        if (ev->type == YAML_MAPPING_END_EVENT) return 0;
        size_t kline = ev_line(y);
        if (ev->type != YAML_SCALAR_EVENT) return y_fail(y, kline, "a key must be a name, not a list, mapping or alias");
        const char *ks = (const char *)ev->data.scalar.value;
        size_t kl = ev->data.scalar.length, pl = strlen(prefix);
        if (memchr(ks, 0, kl)) return y_fail(y, kline, "a NUL character in a key");
        char *full = xmalloc(pl + kl + 1);
        memcpy(full, prefix, pl);
        memcpy(full + pl, ks, kl);
        full[pl + kl] = 0;
        int k = find_key(y->keys, y->nkeys, full, pl + kl), rc;
        if (y_next(y)) rc = -1;
        else if (k < 0 && !pl && !strcmp(full, "defaults")) rc = y_skip(y); /* Hydra's defaults list, _self_ */
        else rc = y_value(y, full, k, kline);
        free(full);
        if (rc) return -1;
    }
}

static int y_stream(Yaml *y) {
    if (y_next(y) || y_next(y)) return -1; /* stream start, then a document or the end */
    if (y->ev.type == YAML_STREAM_END_EVENT) return 0;
    if (y_next(y)) return -1;
    const yaml_event_t *ev = &y->ev;
    if (ev->type == YAML_MAPPING_START_EVENT) {
        if (y_mapping(y, "")) return -1;
    } else if (!(ev->type == YAML_SCALAR_EVENT && ev->data.scalar.plain_implicit &&
                 is_null((const char *)ev->data.scalar.value)))
        return y_fail(y, ev_line(y), "expected key: value lines at the top level");
    if (y_next(y) || y_next(y)) return -1; /* document end, then the stream's end */
    if (y->ev.type != YAML_STREAM_END_EVENT) return y_fail(y, ev_line(y), "more than one YAML document");
    return 0;
}

int config_parse_yaml_text(const CfgKey *keys, int nkeys, const char *text, size_t len, const char *label, char *err,
                           size_t errlen) {
    Yaml y = {.keys = keys, .nkeys = nkeys, .label = label ? label : "config", .err = err, .errlen = errlen};
    /* syntax first: a list missing its ']' is that, not "expected a number, got a list" found on the way */
    if (!yaml_parser_initialize(&y.p)) {
        seterr(err, errlen, "%s: out of memory reading YAML", y.label);
        return -1;
    }
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
    int bad = 0, depth = 0;
    while (!(bad = y_next(&y)) && y.ev.type != YAML_STREAM_END_EVENT) {
        yaml_event_type_t t = y.ev.type;
        depth += (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) -
                 (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT);
        if (depth > 64) { /* the bound of y_skip: libyaml's work grows with the square of the nesting */
            bad = y_fail(&y, ev_line(&y), "lists or mappings nested more than 64 deep");
            break;
        }
    }
    if (y.has_ev) yaml_event_delete(&y.ev), y.has_ev = 0;
    yaml_parser_delete(&y.p);
    if (bad) return -1;
    if (!yaml_parser_initialize(&y.p)) {
        seterr(err, errlen, "%s: out of memory reading YAML", y.label);
        return -1;
    }
    y.line = xcalloc((size_t)nkeys + 1, sizeof *y.line);
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
    int rc = y_stream(&y);
    if (y.has_ev) yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.p);
    free(y.line);
    return rc;
}

int config_yaml_lookup(const char *path, const char *key, char *value, size_t n) {
    size_t len;
    const char *why;
    uint8_t *text = read_file(path, &len, &why);
    if (!text) return -1;
    int rc = config_yaml_lookup_text((const char *)text, len, key, value, n);
    free(text);
    return rc;
}

int config_yaml_lookup_text(const char *text, size_t len, const char *key, char *value, size_t n) {
    Yaml y = {.label = "config"};
    char err[256];
    y.err = err, y.errlen = sizeof err;
    if (!yaml_parser_initialize(&y.p)) return -1;
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
    /* the dotted path of the mapping being read: name[d] is the key at depth d awaiting (or holding) its value */
    enum { MAXD = 16 };
    char name[MAXD + 1][128];
    int depth = 0, want_key[MAXD + 1] = {0}, found = 0, bad = 0;
    while (!found && !(bad = y_next(&y)) && y.ev.type != YAML_STREAM_END_EVENT) {
        yaml_event_type_t t = y.ev.type;
        if (t == YAML_MAPPING_START_EVENT) {
            if (++depth > MAXD) bad = -1;
            else want_key[depth] = 1;
        } else if (t == YAML_MAPPING_END_EVENT) {
            if (--depth >= 0) want_key[depth] = 1;
        } else if (t == YAML_SEQUENCE_START_EVENT) { /* a list value: not a setting looked up here */
            int d = 1;
            while (d > 0 && !(bad = y_next(&y)) && y.ev.type != YAML_STREAM_END_EVENT)
                d += (y.ev.type == YAML_SEQUENCE_START_EVENT || y.ev.type == YAML_MAPPING_START_EVENT) -
                     (y.ev.type == YAML_SEQUENCE_END_EVENT || y.ev.type == YAML_MAPPING_END_EVENT);
            want_key[depth] = 1;
        } else if (t == YAML_SCALAR_EVENT && depth > 0) {
            const char *sv = (const char *)y.ev.data.scalar.value;
            if (want_key[depth]) {
                snprintf(name[depth], sizeof name[depth], "%s", sv);
                want_key[depth] = 0;
            } else {
                char full[MAXD * 130] = "";
                for (int d = 1; d <= depth; d++) {
                    if (d > 1) strcat(full, ".");
                    strcat(full, name[d]);
                }
                if (!strcmp(full, key)) snprintf(value, n, "%s", sv), found = 1;
                want_key[depth] = 1;
            }
        }
        if (bad) break;
    }
    if (y.has_ev) yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.p);
    return bad ? -1 : found;
}

int config_load_yaml(const CfgKey *keys, int nkeys, const char *path, char *err, size_t errlen) {
    size_t len;
    const char *e;
    uint8_t *d = read_file(path, &len, &e);
    if (!d) {
        seterr(err, errlen, "%s: %s", path, e);
        return -1;
    }
    int rc = config_parse_yaml_text(keys, nkeys, (const char *)d, len, path, err, errlen);
    free(d);
    return rc;
}

/* ---- the command line ---- */

typedef struct {
    const char *name, *value;
    size_t n;
} Override;

int config_parse_pos(const CfgKey *keys, int nkeys, int argc, char **argv, const char **pos, int max_pos, int *npos,
                     char *err, size_t errlen) {
    if (npos) *npos = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    if (config_set_defaults(keys, nkeys, err, errlen)) return -1;
    Override *ov = xcalloc((size_t)argc + 1, sizeof *ov);
    int nov = 0, np = 0, rc = -1, dashdash = 0;
    const char *file = NULL;
    char b[64];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && !strcmp(a, "--")) {
            dashdash = 1;
            continue;
        }
        int dashed = !dashdash && a[0] == '-' && a[1] == '-';
        const char *name = dashed ? a + 2 : a, *eq = dashdash ? NULL : strchr(name, '=');
        if (!dashed && !eq) {
            if (!dashdash && a[0] == '-' && a[1]) {
                seterr(err, errlen, "unknown option '%s' (options are key=value or --key value; see --help)",
                       show(a, strlen(a), b, sizeof b));
                goto out;
            }
            if (np == max_pos) {
                seterr(err, errlen, "unexpected argument '%s' (not key=value; see --help)", show(a, strlen(a), b, sizeof b));
                goto out;
            }
            pos[np++] = a;
            continue;
        }
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const char *v = eq ? eq + 1 : NULL;
        int is_config = n == 6 && !memcmp(name, "config", 6);
        if (!v) {
            int k = is_config ? -1 : find_key(keys, nkeys, name, n);
            if (!is_config && k < 0) {
                unknown_key(keys, nkeys, "", name, n, err, errlen);
                goto out;
            }
            if (k >= 0 && keys[k].type == CFG_BOOL) { /* --flag, or --flag false */
                Val b;
                char m[8];
                v = i + 1 < argc && !convert(&keys[k], argv[i + 1], 0, &b, m, sizeof m) ? argv[++i] : "true";
            } else if (i + 1 < argc) v = argv[++i];
            else {
                seterr(err, errlen, "--%s needs a value", is_config ? "config" : keys[k].key);
                goto out;
            }
        }
        if (is_config) {
            if (file) {
                seterr(err, errlen, "config=%s: only one config file (already config=%s)", show(v, strlen(v), b, sizeof b),
                       file);
                goto out;
            }
            if (!*v) {
                seterr(err, errlen, "config=: expected a YAML file");
                goto out;
            }
            file = v;
            continue;
        }
        ov[nov++] = (Override){name, v, n};
    }
    if (file && config_load_yaml(keys, nkeys, file, err, errlen)) goto out;
    for (int i = 0; i < nov; i++)
        if (set_by_name(keys, nkeys, ov[i].name, ov[i].n, ov[i].value, err, errlen)) goto out;
    if (npos) *npos = np;
    rc = 0;
out:
    free(ov);
    return rc;
}

int config_parse(const CfgKey *keys, int nkeys, int argc, char **argv, char *err, size_t errlen) {
    return config_parse_pos(keys, nkeys, argc, argv, NULL, 0, NULL, err, errlen);
}

int config_cli(const char *cmd, const char *synopsis, const CfgKey *keys, int nkeys, int argc, char **argv,
               const char **pos, int max_pos) {
    char err[1024];
    int np = 0, rc = config_parse_pos(keys, nkeys, argc, argv, pos, max_pos, &np, err, sizeof err);
    if (rc == 1) {
        config_print_help(stdout, cmd, synopsis, keys, nkeys);
        exit(0);
    }
    if (rc) die("%s: %s", cmd, err);
    if (ignored_seen[0]) warnf("%s: keys of the original's configuration, accepted and not used: %s", cmd, ignored_seen);
    ignored_seen[0] = 0;
    return np;
}

/* ---- output ---- */


/* A double-quoted YAML string that reads back to the same bytes: escapes for what YAML does not
 * allow raw (C0 and C1 controls, U+FFFE/U+FFFF) and for what it folds (line breaks, NEL, U+2028/9). */
static void put_quoted(StrBuf *b, const char *s) {
    size_t n = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    int valid = utf8_valid(u, n);
    sb_str(b, "\"");
    for (size_t i = 0; i < n;) {
        unsigned c = u[i], cp = c;
        size_t len = 1;
        if (c >= 0x80 && valid) {
            len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
            cp = c & (0x7F >> len);
            for (size_t j = 1; j < len; j++) cp = cp << 6 | (u[i + j] & 0x3F);
        }
        char e[16];
        if (c == '"' || c == '\\') snprintf(e, sizeof e, "\\%c", c);
        else if (c == '\n') strcpy(e, "\\n");
        else if (c == '\t') strcpy(e, "\\t");
        else if (cp < 0x20 || (cp >= 0x7f && cp < 0xA0) || (c >= 0x80 && !valid)) snprintf(e, sizeof e, "\\x%02x", cp);
        else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
            snprintf(e, sizeof e, "\\u%04x", cp);
        else {
            sb_cat(b, s + i, len);
            i += len;
            continue;
        }
        sb_str(b, e);
        i += len;
    }
    sb_str(b, "\"");
}

/* Enum values are identifiers; quote any that a YAML 1.1 reader would take for a bool or null. */
static void put_word(StrBuf *b, const char *s) {
    static const char *special[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"};
    int plain = isalpha((unsigned char)s[0]);
    for (const char *p = s; plain && *p; p++) plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    for (size_t i = 0; plain && i < sizeof special / sizeof *special; i++) plain = strcasecmp(s, special[i]) != 0;
    if (plain) sb_str(b, s);
    else put_quoted(b, s);
}

static void put_value(StrBuf *b, const CfgKey *k) {
    char t[40];
    switch (k->type) {
    case CFG_INT: snprintf(t, sizeof t, "%d", *(int *)k->dst), sb_str(b, t); break;
    case CFG_BOOL: sb_str(b, *(int *)k->dst ? "true" : "false"); break;
    case CFG_FLOAT: sb_str(b, fmt_num(*(double *)k->dst, t, sizeof t, 1)); break;
    case CFG_STR: {
        const char *s = *(const char **)k->dst;
        put_quoted(b, s ? s : "");
        break;
    }
    case CFG_ENUM: {
        const char *s = *(const char **)k->dst;
        put_word(b, s ? s : "");
        break;
    }
    case CFG_FLOATS: {
        const CfgFloats *l = k->dst;
        sb_str(b, "[");
        for (int i = 0; i < l->n && i < CFG_FLOATS_MAX; i++) {
            if (i) sb_str(b, ", ");
            sb_str(b, fmt_num(l->v[i], t, sizeof t, 1));
        }
        sb_str(b, "]");
        break;
    }
    case CFG_IGNORED: sb_str(b, "null"); break; /* never written: config_to_yaml skips these keys */
    }
}

/* Keys under prefix (plen bytes, ending in '.') in table order; a group is written where its first key is. */
static void put_group(StrBuf *b, const CfgKey *keys, int nkeys, char *done, const char *prefix, size_t plen, int indent) {
    for (int i = 0; i < nkeys; i++) {
        if (done[i] || strncmp(keys[i].key, prefix, plen)) continue;
        const char *rest = keys[i].key + plen, *dot = strchr(rest, '.');
        for (int s = 0; s < indent; s++) sb_str(b, " ");
        if (!dot) {
            sb_str(b, rest);
            sb_str(b, ": ");
            put_value(b, &keys[i]);
            sb_str(b, "\n");
            done[i] = 1;
        } else {
            sb_cat(b, rest, (size_t)(dot - rest));
            sb_str(b, ":\n");
            put_group(b, keys, nkeys, done, keys[i].key, (size_t)(dot + 1 - keys[i].key), indent + 2);
        }
    }
}

char *config_to_yaml(const CfgKey *keys, int nkeys) {
    StrBuf b = {0};
    char *done = xcalloc((size_t)nkeys + 1, 1);
    for (int i = 0; i < nkeys; i++) done[i] = keys[i].type == CFG_IGNORED; /* nothing to write back */
    sb_str(&b, "");
    put_group(&b, keys, nkeys, done, "", 0, 0);
    free(done);
    return b.p;
}

static int ignored(const char *key, const char *const *ignore) {
    for (int i = 0; ignore && ignore[i]; i++) {
        size_t n = strlen(ignore[i]);
        if (ignore[i][n - 1] == '.' ? !strncmp(key, ignore[i], n) : !strcmp(key, ignore[i])) return 1;
    }
    return 0;
}

int config_diff(const CfgKey *was, const CfgKey *now, int nkeys, const char *const *ignore, char **text) {
    StrBuf out = {0};
    sb_str(&out, "");
    int n = 0;
    for (int i = 0; i < nkeys; i++) {
        if (now[i].type == CFG_IGNORED || ignored(now[i].key, ignore)) continue;
        StrBuf a = {0}, b = {0};
        sb_str(&a, ""), sb_str(&b, "");
        put_value(&a, &was[i]), put_value(&b, &now[i]);
        if (strcmp(a.p, b.p)) sb_printf(&out, "%s%s=%s (the run has %s)", n++ ? ", " : "", now[i].key, b.p, a.p);
        free(a.p), free(b.p);
    }
    *text = out.p;
    return n;
}

int config_write_yaml(const CfgKey *keys, int nkeys, const char *path) {
    char *s = config_to_yaml(keys, nkeys);
    AtomicFile af;
    int rc = atomic_open(&af, path);
    if (!rc) {
        rc = atomic_write(&af, s, strlen(s));
        if (rc) atomic_abort(&af);
        else rc = atomic_commit(&af);
    }
    free(s);
    return rc;
}

void config_print_help(FILE *f, const char *cmd, const char *synopsis, const CfgKey *keys, int nkeys) {
    fprintf(f, "usage: fedvssl %s %s\n\n", cmd, synopsis ? synopsis : "[config=FILE.yaml] [key=value ...]");
    fprintf(f, "Settings: the defaults below, then config=FILE.yaml (see conf/), then key=value in order (the last\n"
               "wins); also --key=value or --key value, '_' = '-' in names; YAML nests the dotted names.\n\n");
    for (int i = 0; i < nkeys; i++) {
        const CfgKey *k = &keys[i];
        char type[240], r[80];
        switch (k->type) {
        case CFG_INT: snprintf(type, sizeof type, "int %s", range_text(k, r, sizeof r)); break;
        case CFG_FLOAT: snprintf(type, sizeof type, "float %s", range_text(k, r, sizeof r)); break;
        case CFG_BOOL: snprintf(type, sizeof type, "bool"); break;
        case CFG_STR: snprintf(type, sizeof type, "string"); break;
        case CFG_ENUM: snprintf(type, sizeof type, "%s", k->choices); break;
        case CFG_FLOATS: snprintf(type, sizeof type, "floats %s", range_text(k, r, sizeof r)); break;
        case CFG_IGNORED: snprintf(type, sizeof type, "ignored"); break;
        }
        size_t tl = strlen(type);
        while (tl && type[tl - 1] == ' ') type[--tl] = 0;
        const char *def = k->def ? k->def : "";
        fprintf(f, "  %-28s %-16s %s", k->key, type, k->help ? k->help : "");
        if (k->type == CFG_IGNORED) fprintf(f, " (a key of the original's files, accepted and not used)\n");
        else if (k->type == CFG_STR) fprintf(f, " (default \"%s\")\n", def);
        else fprintf(f, " (default %s)\n", def);
    }
}
