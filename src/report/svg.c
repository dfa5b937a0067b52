/* Inline SVG charts and HTML escaping for the report (see svg.h). Coordinates are written with one
 * decimal; every text from outside goes through html_escape. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

/* ---------------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4)) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3) {
        unsigned v = (c & 0x0f) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
        if (v < 0x800 || (v >= 0xd800 && v < 0xe000)) return 0; /* overlong, surrogate */
    }
    if (n == 4) {
        unsigned v = (c & 0x07) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
        if (v < 0x10000 || v > 0x10ffff) return 0;
    }
    return n;
}

void html_escape_cut(StrBuf *b, const char *s, int max) {
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    int chars = 0;
    while (*u) {
        if (max >= 0 && chars == max) {
            sb_str(b, "\xe2\x80\xa6"); /* … */
            return;
        }
        chars++;
        unsigned c = *u;
        switch (c) {
        case '&': sb_str(b, "&amp;"), u++; continue;
        case '<': sb_str(b, "&lt;"), u++; continue;
        case '>': sb_str(b, "&gt;"), u++; continue;
        case '"': sb_str(b, "&quot;"), u++; continue;
        case '\'': sb_str(b, "&#39;"), u++; continue;
        case '\t':
        case '\n': sb_cat(b, (const char *)u, 1), u++; continue;
        default: break;
        }
        int n = utf8_len(u);
        if (c < 0x20 || c == 0x7f || n == 0) {
            sb_str(b, "\xef\xbf\xbd"); /* U+FFFD */
            u++;
            continue;
        }
        sb_cat(b, (const char *)u, (size_t)n);
        u += n;
    }
}

void html_escape(StrBuf *b, const char *s) { html_escape_cut(b, s, -1); }

/* Characters (code points) of s, for estimating text widths. */
static int text_chars(const char *s) {
    int n = 0;
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++) n += (*u & 0xc0) != 0x80;
    return n;
}

/* ---------------------------------------------------------------- axes */

static const char *const PALETTE[] = {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7",
                                      "#56b4e9", "#8c564b", "#332288", "#999933", "#882255"};
#define NPAL ((int)(sizeof PALETTE / sizeof *PALETTE))

const char *svg_color(int i) {
    if (i == SVG_DARK) return "#333333";
    if (i == SVG_GREY) return "#8a8a8a";
    return PALETTE[((i % NPAL) + NPAL) % NPAL];
}

#define CHAR_W 6.2 /* average width of a character at font-size 11 */
#define BIG 1e300  /* values beyond this are not drawn */

static int plottable(double v) { return isfinite(v) && fabs(v) <= BIG; }

int svg_nice_ticks(double lo, double hi, int want, double *ticks, double *step) {
    if (!(hi > lo) || !isfinite(hi - lo)) {
        *step = 1;
        ticks[0] = lo;
        return 1;
    }
    if (want < 2) want = 2;
    double raw = (hi - lo) / want, p = pow(10, floor(log10(raw))), f = raw / p;
    double s = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
    int n;
    for (;;) { /* at most 32 ticks, whatever rounding did */
        double first = ceil(lo / s - 1e-9) * s;
        n = 0;
        for (double t = first; t <= hi + s * 1e-9 && n < 33; t = first + n * s) ticks[n++] = fabs(t) < s * 1e-9 ? 0 : t;
        if (n <= 32) break;
        s *= 2;
    }
    *step = s;
    return n;
}

void svg_fmt_tick(char *buf, int n, double v, double step) {
    if (v == 0 || !(step > 0)) {
        snprintf(buf, (size_t)n, v == 0 ? "0" : "%g", v);
        return;
    }
    double a = fabs(v);
    int ls = (int)floor(log10(step) + 1e-9); /* steps are 1, 2 or 5 x 10^ls */
    if (a >= 1e-4 && a < 1e6) {
        int dec = -ls < 0 ? 0 : -ls > 12 ? 12 : -ls;
        snprintf(buf, (size_t)n, "%.*f", dec, v);
    } else {
        int digits = (int)floor(log10(a)) - ls + 1;
        snprintf(buf, (size_t)n, "%.*g", digits < 1 ? 1 : digits > 15 ? 15 : digits, v);
    }
}

/* A value label: percent or 3 significant digits. */
static void fmt_value(char *buf, int n, double v, int percent, const char *unit) {
    if (percent)
        snprintf(buf, (size_t)n, "%.1f%%", 100 * v);
    else if (fabs(v) >= 100 && fabs(v) < 1e6)
        snprintf(buf, (size_t)n, "%.0f%s%s", v, unit ? " " : "", unit ? unit : "");
    else
        snprintf(buf, (size_t)n, "%.3g%s%s", v, unit ? " " : "", unit ? unit : "");
}

typedef struct {
    double lo, hi; /* drawn range (log10 of it when log) */
    int log;
    double ticks[33], step;
    int nt;
} Axis;

/* A linear axis over the data range [lo, hi], widened to nice ticks; a flat range gets room around it.
 * integer: ticks at whole numbers only. */
static void axis_linear(Axis *a, double lo, double hi, int want, int integer) {
    a->log = 0;
    if (hi - lo <= fabs(hi) * 1e-12 || !(hi > lo)) {
        double pad = integer ? 1 : fabs(hi) * 0.1;
        if (!(pad > 1e-300)) pad = 1;
        int nonneg = lo >= 0; /* a flat non-negative range (one round, one epoch) stays non-negative */
        lo -= pad, hi += pad;
        if (nonneg && lo < 0) lo = 0;
    }
    a->nt = svg_nice_ticks(lo, hi, want, a->ticks, &a->step);
    if (integer && a->step < 1) a->step = 1;
    double s = a->step;
    a->lo = floor(lo / s + 1e-9) * s;
    a->hi = ceil(hi / s - 1e-9) * s;
    if (!(a->hi > a->lo)) a->hi = a->lo + s;
    if (integer && s == 1) {
        a->nt = 0;
        for (double t = a->lo; t <= a->hi + 1e-9 && a->nt < 32; t++) a->ticks[a->nt++] = t;
    } else {
        a->nt = svg_nice_ticks(a->lo, a->hi, want, a->ticks, &a->step);
    }
}

static void axis_log(Axis *a, double lo, double hi) {
    a->log = 1;
    a->lo = floor(log10(lo));
    a->hi = ceil(log10(hi));
    if (a->hi <= a->lo) a->hi = a->lo + 1;
    double d = ceil((a->hi - a->lo) / 8);
    a->step = d < 1 ? 1 : d;
    a->nt = 0;
    for (double k = a->lo; k <= a->hi + 1e-9 && a->nt < 32; k += a->step) a->ticks[a->nt++] = k;
}

static double axis_pos(const Axis *a, double v) { return ((a->log ? log10(v) : v) - a->lo) / (a->hi - a->lo); }

static void axis_label(const Axis *a, int i, char *buf, int n, int percent) {
    double t = a->ticks[i];
    if (a->log) {
        int k = (int)t;
        if (k >= -4 && k <= 5)
            snprintf(buf, (size_t)n, "%g", pow(10, k));
        else
            snprintf(buf, (size_t)n, "1e%d", k);
    } else if (percent) {
        svg_fmt_tick(buf, n - 1, 100 * t, 100 * a->step);
        strcat(buf, "%");
    } else {
        svg_fmt_tick(buf, n, t, a->step);
    }
}

/* ---------------------------------------------------------------- figure frame */

static void figure_open(StrBuf *b, const SvgChart *c, int w, int h) {
    /* wider than a grid column: the figure spans the row (class "wide", see the page's CSS) */
    sb_str(b, w > 640 ? "<figure class=\"chart wide\" data-chart=\"" : "<figure class=\"chart\" data-chart=\"");
    html_escape(b, c->id);
    sb_printf(b,
              "\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
              "role=\"img\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" "
              "font-size=\"11\">\n<title>",
              w, h, w, h);
    html_escape(b, c->title);
    sb_str(b, "</title>\n<text class=\"title\" x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#222\">");
    html_escape(b, c->title);
    sb_str(b, "</text>\n");
}

static void figure_close(StrBuf *b, int dropped) {
    sb_str(b, "</svg>\n");
    if (dropped)
        sb_printf(b, "<figcaption class=\"note\">%d value%s not drawn (NaN, Inf or beyond &#177;1e300)</figcaption>\n",
                  dropped, dropped == 1 ? "" : "s");
    sb_str(b, "</figure>\n");
}

static void figure_empty(StrBuf *b, const SvgChart *c, const char *why) {
    sb_str(b, "<figure class=\"chart empty\" data-chart=\"");
    html_escape(b, c->id);
    sb_str(b, "\">\n<figcaption class=\"title\">");
    html_escape(b, c->title);
    sb_str(b, "</figcaption>\n<p class=\"nodata\">");
    html_escape(b, why ? why : "no data yet");
    sb_str(b, "</p>\n</figure>\n");
}

/* Legend entries in rows from x0 to x1 starting at baseline y; returns the rows used. kind 0: line, 1: box. */
static int legend(StrBuf *b, const char *const *names, const int *colors, int n, double x0, double x1, double y,
                  int kind, int draw) {
    double x = x0;
    int rows = 1, any = 0;
    for (int i = 0; i < n; i++) {
        if (!names[i] || !names[i][0]) continue;
        double w = 18 + CHAR_W * (text_chars(names[i]) > 40 ? 41 : text_chars(names[i])) + 14;
        if (any && x + w > x1) x = x0, y += 16, rows++;
        any = 1;
        if (draw) {
            sb_str(b, "<g class=\"legend\">");
            if (kind == 0)
                sb_printf(b,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>",
                          x, y - 4, x + 14, y - 4, svg_color(colors[i]));
            else
                sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"11\" rx=\"2\" fill=\"%s\"/>", x + 1,
                          y - 10, svg_color(colors[i]));
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">", x + 18, y);
            html_escape_cut(b, names[i], 40);
            sb_str(b, "</text></g>\n");
        }
        x += w;
    }
    return any ? rows : 0;
}

/* Grid, ticks and tick labels of a plot area [L, L+pw] x [T, T+ph]; x axis optional (bars label their own). */
static void draw_axes(StrBuf *b, const SvgChart *c, const Axis *ax, const Axis *ay, double L, double T, double pw,
                      double ph) {
    char t[48];
    sb_str(b, "<g class=\"axis y\" fill=\"#555\" text-anchor=\"end\">\n");
    for (int i = 0; i < ay->nt; i++) {
        double f = axis_pos(ay, ay->log ? pow(10, ay->ticks[i]) : ay->ticks[i]);
        if (f < -1e-6 || f > 1 + 1e-6) continue;
        double y = T + ph - f * ph;
        axis_label(ay, i, t, sizeof t, c->percent);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>", L, y, L + pw, y);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", L - 6, y + 3.5, t);
    }
    sb_str(b, "</g>\n");
    if (ax) {
        sb_str(b, "<g class=\"axis x\" fill=\"#555\" text-anchor=\"middle\">\n");
        for (int i = 0; i < ax->nt; i++) {
            double f = axis_pos(ax, ax->ticks[i]);
            if (f < -1e-6 || f > 1 + 1e-6) continue;
            double x = L + f * pw;
            svg_fmt_tick(t, sizeof t, ax->ticks[i], ax->step);
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>", x, T + ph, x,
                      T + ph + 4);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, T + ph + 16, t);
        }
        sb_str(b, "</g>\n");
    }
    sb_printf(b, "<path class=\"frame\" d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#888\"/>\n", L, T, T + ph,
              L + pw);
    if (c->ylabel && c->ylabel[0]) {
        sb_printf(
            b,
            "<text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">",
            T + ph / 2);
        html_escape(b, c->ylabel);
        if (ay->log) sb_str(b, " (log scale)");
        sb_str(b, "</text>\n");
    }
    if (ax && c->xlabel && c->xlabel[0]) {
        sb_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", L + pw / 2,
                  T + ph + 34);
        html_escape(b, c->xlabel);
        sb_str(b, "</text>\n");
    }
}

/* y axis of the finite values in [lo, hi] (lo <= hi): fixed, log or linear. */
static void y_axis(Axis *ay, const SvgChart *c, double lo, double hi) {
    double ratio = c->log_ratio == 0 ? 1e4 : c->log_ratio;
    if (c->fixed_y && c->ymax > c->ymin) {
        lo = fmin(lo, c->ymin), hi = fmax(hi, c->ymax);
        if (lo == c->ymin && hi == c->ymax) {
            ay->log = 0, ay->lo = lo, ay->hi = hi;
            ay->nt = svg_nice_ticks(lo, hi, 5, ay->ticks, &ay->step);
            return;
        }
    }
    if (c->y_zero) lo = fmin(lo, 0), hi = fmax(hi, 0);
    if (ratio > 0 && lo > 0 && hi / lo > ratio)
        axis_log(ay, lo, hi);
    else
        axis_linear(ay, lo, hi, 5, 0);
}

/* ---------------------------------------------------------------- line chart */

typedef struct {
    double x, y;
} Pt;

void svg_line_chart(StrBuf *b, const SvgChart *c, const SvgSeries *s, int ns) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int dropped = 0, finite = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!plottable(x) || !plottable(y)) {
                dropped++;
                continue;
            }
            finite++;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
        }
    if (!finite) {
        figure_empty(b, c, dropped ? "no finite values to draw (only NaN or Inf)" : "no data yet");
        return;
    }
    const int W = 600;
    const char **names = xcalloc((size_t)ns + 1, sizeof *names);
    int *cols = xcalloc((size_t)ns + 1, sizeof *cols);
    for (int k = 0; k < ns; k++) names[k] = s[k].name, cols[k] = s[k].color;
    Axis ax, ay;
    axis_linear(&ax, xlo, xhi, 6, c->x_integer);
    y_axis(&ay, c, ylo, yhi);
    double L = 12 + 14, R = 18;
    char t[48];
    for (int i = 0; i < ay.nt; i++) { /* room for the widest y tick label */
        axis_label(&ay, i, t, sizeof t, c->percent);
        L = fmax(L, 12 + 14 + 8 + CHAR_W * (double)strlen(t));
    }
    int rows = legend(b, names, cols, ns, L, W - R, 0, 0, 0);
    double T = 34 + 16.0 * rows + (rows ? 4 : 0), B = 46, ph = 210, H = T + ph + B, pw = W - L - R;
    figure_open(b, c, W, (int)H);
    legend(b, names, cols, ns, L, W - R, 40, 0, 1);
    draw_axes(b, c, &ax, &ay, L, T, pw, ph);
    sb_printf(b, "<defs><clipPath id=\"clip-");
    html_escape(b, c->id);
    sb_printf(b, "\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n", L - 4, T - 4,
              pw + 8, ph + 8);
    for (int k = 0; k < ns; k++) {
        const SvgSeries *q = &s[k];
        int nfin = 0;
        for (int i = 0; i < q->n; i++) nfin += plottable(q->x[i]) && plottable(q->y[i]);
        if (!nfin) continue;
        const char *col = svg_color(q->color);
        sb_str(b, "<g clip-path=\"url(#clip-");
        html_escape(b, c->id);
        sb_str(b, ")\">");
        sb_printf(b,
                  "<path class=\"series\" data-series=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
                  "stroke-linejoin=\"round\" stroke-linecap=\"round\"%s d=\"",
                  k, col, q->thin ? "1" : "2", q->thin ? " stroke-opacity=\"0.45\"" : "");
        /* points in pixels; a non-finite value ends the current line; long runs keep each pixel column's
         * first, lowest, highest and last point */
        int reduce = nfin > 4 * (int)pw;
        int col_x = -1, have = 0;
        Pt first = {0, 0}, lo = {0, 0}, hi = {0, 0}, last = {0, 0};
        int pen = 0; /* 0: next point starts a line */
        for (int i = 0; i <= q->n; i++) {
            int ok = i < q->n && plottable(q->x[i]) && plottable(q->y[i]);
            Pt p = {0, 0};
            if (ok) p = (Pt){L + axis_pos(&ax, q->x[i]) * pw, T + ph - axis_pos(&ay, q->y[i]) * ph};
            if (reduce && have && (!ok || (int)p.x != col_x)) { /* flush the column */
                Pt out[4] = {first, lo, hi, last};
                if (lo.x > hi.x) out[1] = hi, out[2] = lo;
                for (int j = 0; j < 4; j++) {
                    if (j && out[j].x == out[j - 1].x && out[j].y == out[j - 1].y) continue;
                    sb_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', out[j].x, out[j].y);
                    pen = 1;
                }
                have = 0;
            }
            if (!ok) {
                if (i < q->n) pen = 0;
                continue;
            }
            if (!reduce) {
                if (pen && q->step) sb_printf(b, "H%.1f", p.x);
                sb_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', p.x, p.y);
                pen = 1;
                continue;
            }
            if (!have)
                first = lo = hi = last = p, col_x = (int)p.x, have = 1;
            else {
                if (p.y < lo.y) lo = p;
                if (p.y > hi.y) hi = p;
                last = p;
            }
        }
        sb_str(b, "\"/>\n");
        /* dots: on short series, and on points that have no finite neighbour (a lone point draws no line) */
        for (int i = 0; i < q->n; i++) {
            if (!plottable(q->x[i]) || !plottable(q->y[i])) continue;
            int lone = (i == 0 || !plottable(q->x[i - 1]) || !plottable(q->y[i - 1])) &&
                       (i + 1 == q->n || !plottable(q->x[i + 1]) || !plottable(q->y[i + 1]));
            Pt p = {L + axis_pos(&ax, q->x[i]) * pw, T + ph - axis_pos(&ay, q->y[i]) * ph};
            if (lone || (q->markers == 1) || (q->markers == 0 && nfin <= 40))
                sb_printf(b, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"/>", p.x, p.y,
                          q->thin ? "1.8" : "3", col);
        }
        sb_str(b, "</g>\n");
    }
    free(names), free(cols);
    figure_close(b, dropped);
}

/* ---------------------------------------------------------------- bar charts */

void svg_bar_chart(StrBuf *b, const SvgChart *c, const char *const *cats, int ncat, const char *const *names, int ns,
                   const double *vals) {
    double lo = 0, hi = 0;
    int dropped = 0, finite = 0;
    for (int i = 0; i < ns * ncat; i++) {
        if (!plottable(vals[i])) {
            dropped += !isnan(vals[i]); /* NaN means "no bar" (no videos of a class); Inf is a dropped value */
            continue;
        }
        finite++, lo = fmin(lo, vals[i]), hi = fmax(hi, vals[i]);
    }
    if (!finite || ncat < 1 || ns < 1) {
        figure_empty(b, c, NULL);
        return;
    }
    const int W = ncat * ns > 40 ? (ncat * ns * 12 + 120 > 1220 ? 1220 : ncat * ns * 12 + 120) : 600;
    int *cols = xcalloc((size_t)ns, sizeof *cols);
    for (int k = 0; k < ns; k++) cols[k] = k;
    Axis ay;
    SvgChart cc = *c;
    cc.y_zero = 1, cc.log_ratio = -1;
    if (c->percent && lo >= 0 && hi <= 1) cc.fixed_y = 1, cc.ymin = 0, cc.ymax = 1;
    y_axis(&ay, &cc, lo, hi);
    double L = 26, R = 16;
    char t[64];
    for (int i = 0; i < ay.nt; i++) {
        axis_label(&ay, i, t, sizeof t, c->percent);
        L = fmax(L, 34 + CHAR_W * (double)strlen(t));
    }
    double pw = W - L - R, gw = pw / ncat;
    int maxc = 0;
    for (int j = 0; j < ncat; j++) maxc = text_chars(cats[j]) > maxc ? text_chars(cats[j]) : maxc;
    if (maxc > 24) maxc = 24;
    int rotate = maxc * CHAR_W > gw - 4;
    double fs = rotate && gw < 12 ? (gw < 7 ? 7 : gw - 1 > 11 ? 11 : gw - 1) : 11;
    int rows = ns > 1 ? legend(b, names, cols, ns, L, W - R, 0, 1, 0) : 0;
    double T = 42 + 16.0 * rows + (rows ? 4 : 0), ph = 200;
    double B = rotate ? 24 + maxc * CHAR_W * fs / 11 * 0.77 : 40;
    if (c->xlabel && c->xlabel[0]) B += 14;
    double H = T + ph + B;
    figure_open(b, &cc, W, (int)H);
    if (ns > 1) legend(b, names, cols, ns, L, W - R, 42, 1, 1);
    draw_axes(b, &cc, NULL, &ay, L, T, pw, ph);
    double y0 = T + ph - axis_pos(&ay, 0) * ph, bw = gw * 0.8 / ns;
    int labels = ncat * ns <= 30 && bw >= 14;
    for (int j = 0; j < ncat; j++) {
        for (int k = 0; k < ns; k++) {
            double v = vals[(size_t)k * ncat + j];
            if (!plottable(v)) continue;
            double x = L + j * gw + gw * 0.1 + k * bw, y = T + ph - axis_pos(&ay, v) * ph;
            double top = fmin(y, y0), h = fabs(y0 - y);
            fmt_value(t, sizeof t, v, c->percent, c->unit);
            sb_printf(b,
                      "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                      "<title>",
                      x, top, fmax(bw - 1, 0.5), fmax(h, 0.5), svg_color(cols[k]));
            html_escape(b, cats[j]);
            if (ns > 1) sb_str(b, ", "), html_escape(b, names[k]);
            sb_printf(b, ": %s</title></rect>", t);
            if (labels)
                sb_printf(b,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\">%s</text>",
                          x + bw / 2, v >= 0 ? top - 3 : top + h + 11, t);
            sb_str(b, "\n");
        }
    }
    sb_str(b, "<g class=\"axis x\" fill=\"#555\">\n");
    for (int j = 0; j < ncat; j++) {
        double x = L + (j + 0.5) * gw;
        if (rotate)
            sb_printf(b, "<text transform=\"translate(%.1f %.1f) rotate(-50)\" text-anchor=\"end\" font-size=\"%.0f\">",
                      x + fs / 3, T + ph + 8, fs);
        else
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, T + ph + 16);
        html_escape_cut(b, cats[j], 24);
        sb_str(b, "</text>\n");
    }
    sb_str(b, "</g>\n");
    if (c->xlabel && c->xlabel[0]) {
        sb_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", L + pw / 2,
                  H - 8);
        html_escape(b, c->xlabel);
        sb_str(b, "</text>\n");
    }
    free(cols);
    figure_close(b, dropped);
}

void svg_hbar_chart(StrBuf *b, const SvgChart *c, const char *const *labels, const double *vals, const int *colors,
                    int n) {
    double hi = 0;
    int dropped = 0, finite = 0;
    for (int i = 0; i < n; i++) {
        if (!plottable(vals[i])) {
            dropped++;
            continue;
        }
        finite++, hi = fmax(hi, vals[i]);
    }
    if (!finite) {
        figure_empty(b, c, NULL);
        return;
    }
    const int W = 600;
    int maxc = 0;
    for (int i = 0; i < n; i++) maxc = text_chars(labels[i]) > maxc ? text_chars(labels[i]) : maxc;
    if (maxc > 40) maxc = 40;
    double L = fmin(300, 16 + CHAR_W * maxc), R = 70, T = 34, rh = 22, ph = rh * n, H = T + ph + 46, pw = W - L - R;
    Axis ax;
    axis_linear(&ax, 0, hi > 0 ? hi : 1, 5, 0);
    ax.lo = 0;
    SvgChart cc = *c;
    figure_open(b, &cc, W, (int)H);
    char t[64];
    sb_str(b, "<g class=\"axis x\" fill=\"#555\" text-anchor=\"middle\">\n");
    for (int i = 0; i < ax.nt; i++) {
        double x = L + axis_pos(&ax, ax.ticks[i]) * pw;
        svg_fmt_tick(t, sizeof t, ax.ticks[i], ax.step);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>", x, T, x, T + ph);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, T + ph + 16, t);
    }
    sb_str(b, "</g>\n");
    sb_printf(b, "<path class=\"frame\" d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#888\"/>\n", L, T, T + ph,
              L + pw);
    for (int i = 0; i < n; i++) {
        double y = T + i * rh;
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">", L - 6, y + rh / 2 + 4);
        html_escape_cut(b, labels[i], 40);
        sb_str(b, "</text>");
        if (!plottable(vals[i])) {
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#999\">n/a</text>\n", L + 4, y + rh / 2 + 4);
            continue;
        }
        double w = axis_pos(&ax, vals[i]) * pw;
        fmt_value(t, sizeof t, vals[i], c->percent, c->unit);
        sb_printf(
            b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" fill=\"%s\"><title>",
            L, y + 4, fmax(w, 0.5), rh - 8, svg_color(colors ? colors[i] : 0));
        html_escape(b, labels[i]);
        sb_printf(b, ": %s</title></rect><text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">%s</text>\n", t, L + w + 5,
                  y + rh / 2 + 4, t);
    }
    if (c->xlabel && c->xlabel[0]) {
        sb_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", L + pw / 2,
                  H - 8);
        html_escape(b, c->xlabel);
        sb_str(b, "</text>\n");
    }
    figure_close(b, dropped);
}

/* ---------------------------------------------------------------- heat map */

/* Sequential blue ramp: share 0 -> near white, 1 -> dark blue. */
static void ramp(char *buf, double f) {
    static const double st[3][3] = {{247, 251, 255}, {107, 174, 214}, {8, 48, 107}};
    if (!(f >= 0)) f = 0;
    if (f > 1) f = 1;
    int seg = f < 0.5 ? 0 : 1;
    double u = f < 0.5 ? f / 0.5 : (f - 0.5) / 0.5;
    int rgb[3];
    for (int i = 0; i < 3; i++) rgb[i] = (int)lround(st[seg][i] + (st[seg + 1][i] - st[seg][i]) * u);
    snprintf(buf, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void svg_heatmap(StrBuf *b, const SvgChart *c, const char *const *labels, int C, const int64_t *m) {
    int64_t total = 0;
    for (size_t i = 0; C > 0 && i < (size_t)C * C; i++) total += m[i] > 0 ? m[i] : 0;
    if (C < 1 || total == 0) {
        figure_empty(b, c, C < 1 ? NULL : "no test videos counted yet");
        return;
    }
    double cell = C > 30 ? 900.0 / C : 440.0 / C; /* many classes: the full page width */
    if (cell > 64) cell = 64;
    if (cell < 7) cell = 7;
    double fs = cell >= 12 ? 11 : cell - 1;
    int maxc = 0;
    for (int i = 0; i < C; i++) maxc = text_chars(labels[i]) > maxc ? text_chars(labels[i]) : maxc;
    if (maxc > 24) maxc = 24;
    double lw = CHAR_W * maxc * fs / 11;
    double L = 34 + lw + 6, T = 40, side = cell * C, legw = 70;
    double B = 30 + lw * 0.77 + 18, W = L + side + legw + 10, H = T + side + B;
    if (W < 420) W = 420;
    figure_open(b, c, (int)ceil(W), (int)ceil(H));
    char col[8];
    int numbers = cell >= 18;
    /* many classes: empty cells are the background (a 101 x 101 matrix is mostly zeros); the diagonal and
     * every non-zero cell are drawn, each with its tooltip */
    ramp(col, 0);
    sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", L, T, side, side, col);
    for (int i = 0; i < C; i++) {
        int64_t row = 0;
        for (int j = 0; j < C; j++) row += m[(size_t)i * C + j] > 0 ? m[(size_t)i * C + j] : 0;
        for (int j = 0; j < C; j++) {
            int64_t v = m[(size_t)i * C + j];
            double f = row > 0 && v > 0 ? (double)v / (double)row : 0;
            if (C > 30 && v <= 0 && i != j) continue;
            ramp(col, f);
            sb_printf(
                b, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s><title>",
                L + j * cell, T + i * cell, cell, cell, col, i == j ? " stroke=\"#999\" stroke-width=\"0.5\"" : "");
            sb_str(b, "true ");
            html_escape(b, labels[i]);
            sb_str(b, " \xe2\x86\x92 predicted "); /* → */
            html_escape(b, labels[j]);
            sb_printf(b, ": %lld of %lld (%.1f%%)</title></rect>", (long long)v, (long long)row, 100 * f);
            if (numbers && v > 0)
                sb_printf(
                    b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%.0f\" fill=\"%s\">%lld</text>",
                    L + (j + 0.5) * cell, T + (i + 0.5) * cell + fs / 3, fs, f > 0.5 ? "#fff" : "#222", (long long)v);
        }
        sb_str(b, "\n");
    }
    sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n", L, T,
              side, side);
    sb_printf(b, "<g class=\"axis\" fill=\"#333\" font-size=\"%.0f\">\n", fs);
    for (int i = 0; i < C; i++) {
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L - 4, T + (i + 0.5) * cell + fs / 3);
        html_escape_cut(b, labels[i], 24);
        sb_printf(b, "</text><text transform=\"translate(%.1f %.1f) rotate(-50)\" text-anchor=\"end\">",
                  L + (i + 0.5) * cell + fs / 3, T + side + 6);
        html_escape_cut(b, labels[i], 24);
        sb_str(b, "</text>\n");
    }
    sb_str(b, "</g>\n");
    sb_printf(b,
              "<text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">"
              "true class</text>\n",
              T + side / 2);
    sb_printf(
        b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">predicted class</text>\n",
        L + side / 2, H - 8);
    /* colour scale: share of the true class's videos */
    double gx = L + side + 20, gh = side < 120 ? side : 120;
    sb_str(b, "<defs><linearGradient id=\"ramp-");
    html_escape(b, c->id);
    sb_str(b, "\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
    for (int k = 0; k <= 4; k++) {
        ramp(col, k / 4.0);
        sb_printf(b, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", k * 25, col);
    }
    sb_printf(b, "</linearGradient></defs>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"url(#ramp-",
              gx, T, gh);
    html_escape(b, c->id);
    sb_printf(b,
              ")\" stroke=\"#888\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">100%%</text><text x=\"%.1f\" y=\"%.1f\" "
              "fill=\"#555\">0%%</text><text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" font-size=\"10\">of row</text>\n",
              gx + 16, T + 8, gx + 16, T + gh, gx, T + gh + 14);
    figure_close(b, 0);
}
