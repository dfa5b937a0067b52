/* Checks of the report's HTML for the tests (test_report, test_report_browser): balanced tags, the
 * charts' figures and whether they hold data. */
#ifndef FEDVSSL_HTML_CHECK_H
#define FEDVSSL_HTML_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/util.h"
#include "cmdtest.h"

/* ---- a small HTML checker: every element we emit is closed in order, '<' and '&' only start tags and
 * entities, attribute quotes are balanced. Returns 0 or -1 with the reason. */
static const char *const VOID_ELEMENTS[] = {"meta", "br", "img", "input", "link", "hr", "wbr", "source", "col"};

static inline int is_void(const char *name) {
    for (size_t i = 0; i < sizeof VOID_ELEMENTS / sizeof *VOID_ELEMENTS; i++)
        if (!strcmp(name, VOID_ELEMENTS[i])) return 1;
    return 0;
}

static inline int html_check(const char *h, char *why, size_t n) {
    char stack[256][24];
    int depth = 0;
    for (const char *p = h; *p; p++) {
        if (*p == '&') {
            const char *q = p + 1;
            if (*q == '#') q++;
            while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')) q++;
            if (*q != ';' || q == p + 1) return snprintf(why, n, "bare '&' at offset %ld", (long)(p - h)), -1;
            continue;
        }
        if (*p != '<') continue;
        if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p, "-->");
            if (!e) return snprintf(why, n, "unterminated comment"), -1;
            p = e + 2;
            continue;
        }
        if (p[1] == '!') {
            p = strchr(p, '>');
            if (!p) return snprintf(why, n, "unterminated <!"), -1;
            continue;
        }
        int closing = p[1] == '/';
        const char *s = p + 1 + closing;
        char name[24];
        size_t k = 0;
        while (((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-') &&
               k + 1 < sizeof name)
            name[k++] = *s++;
        name[k] = 0;
        if (!k) return snprintf(why, n, "bare '<' at offset %ld: %.30s", (long)(p - h), p), -1;
        char quote = 0;
        const char *e = s;
        for (; *e && (quote || *e != '>'); e++)
            if (quote && *e == quote)
                quote = 0;
            else if (!quote && (*e == '"' || *e == '\''))
                quote = *e;
        if (!*e) return snprintf(why, n, "unterminated tag <%s", name), -1;
        int self = e[-1] == '/';
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name))
                return snprintf(why, n, "</%s> at offset %ld closes <%s>", name, (long)(p - h),
                                depth ? stack[depth - 1] : "nothing"),
                       -1;
            depth--;
        } else if (!self && !is_void(name)) {
            if (depth == 256) return snprintf(why, n, "nesting too deep"), -1;
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
            if (!strcmp(name, "style") || !strcmp(name, "script")) { /* raw text up to its end tag */
                char end[32];
                snprintf(end, sizeof end, "</%s>", name);
                const char *q = strstr(e, end);
                if (!q) return snprintf(why, n, "unterminated <%s>", name), -1;
                e = q - 1;
            }
        }
        p = e;
    }
    if (depth) return snprintf(why, n, "<%s> never closed (%d open)", stack[depth - 1], depth), -1;
    return 0;
}

/* The <figure> of chart id (malloc'ed), or NULL. */
static inline char *figure_of(const char *h, const char *id) {
    char pat[128];
    snprintf(pat, sizeof pat, "data-chart=\"%s\"", id);
    const char *a = strstr(h, pat);
    if (!a) return NULL;
    while (a > h && strncmp(a, "<figure", 7)) a--;
    const char *e = strstr(a, "</figure>");
    if (!e) return NULL;
    size_t n = (size_t)(e - a) + 9;
    char *f = xmalloc(n + 1);
    memcpy(f, a, n);
    f[n] = 0;
    return f;
}

/* A drawn chart: one svg, and a data path with at least a point, or bars, or cells. */
static inline int chart_has_data(const char *f) {
    if (!f || strstr(f, "class=\"chart empty\"") || count(f, "<svg") != 1) return 0;
    if (strstr(f, "<rect class=\"bar\"") || strstr(f, "<rect class=\"cell\"")) return 1;
    for (const char *p = f; (p = strstr(p, "<path class=\"series\"")); p++) {
        const char *d = strstr(p, " d=\"");
        if (d && d[4] == 'M') return 1;
    }
    return 0;
}

#endif
