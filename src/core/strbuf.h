/* A growing string: text built piece by piece (JSON and YAML documents, metrics lines, HTML). Zero-initialise
 * (StrBuf b = {0}), append, use b.p (NUL-terminated once anything was appended), free(b.p). */
#ifndef FEDVSSL_STRBUF_H
#define FEDVSSL_STRBUF_H
#include <stddef.h>

typedef struct {
    char *p;
    size_t n, cap;
} StrBuf;

void sb_cat(StrBuf *b, const char *s, size_t n);
void sb_str(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
