/* Charts as inline SVG for the HTML report: line charts, grouped and horizontal bar charts, a heat
 * map; plus HTML escaping. Every chart is one <figure class="chart" data-chart="<id>"> holding one
 * <svg> with a title, axes with ticks and labels and a legend; data are <path class="series">,
 * <rect class="bar"> or <rect class="cell"> elements (what the tests look for). A chart without a
 * single finite value is a <figure class="chart empty"> that says "no data yet". Non-finite values
 * (NaN, Inf) and values beyond +-1e300 are left out (lines break there) and counted in a note under
 * the chart; a y range over more than log_ratio (all values > 0) is drawn on a log scale; long
 * series are reduced to the min and max of each pixel column. */
#ifndef FEDVSSL_SVG_H
#define FEDVSSL_SVG_H
#include <stdint.h>

#include "../io/json.h"

/* s with & < > " ' as entities, invalid UTF-8 and control characters (but tab and newline) as U+FFFD. */
void html_escape(StrBuf *b, const char *s);
/* The same for at most max characters (code points) of s, with "…" when cut. */
void html_escape_cut(StrBuf *b, const char *s, int max);

/* The categorical palette (colour-blind safe): colour of series i; SVG_DARK and SVG_GREY are two
 * neutral colours outside it (totals, overheads). */
#define SVG_DARK (-1000)
#define SVG_GREY (-1001)
const char *svg_color(int i);

typedef struct {
    const char *name; /* legend entry ("" or NULL: none) */
    const double *x, *y;
    int n;
    int color;   /* index into the palette */
    int markers; /* 1: a dot at every point (always for series of <= 40 points); -1: never */
    int thin;    /* 1: a thin, lighter line (noisy per-interval data under a summary line) */
    int step;    /* 1: a step line (the value holds until the next point: learning rates) */
} SvgSeries;

typedef struct {
    const char *id, *title, *xlabel, *ylabel;
    int x_integer;    /* x ticks at whole numbers only (rounds, epochs) */
    int percent;      /* values are fractions, drawn as % */
    int y_zero;       /* the y axis includes 0 (bar charts always do) */
    double log_ratio; /* log scale when max/min exceeds this (all > 0); 0 = 1e4; < 0 never */
    int fixed_y;      /* y range [ymin, ymax] as given */
    double ymin, ymax;
    const char *unit; /* appended to value labels of bar charts ("s") */
} SvgChart;

void svg_line_chart(StrBuf *b, const SvgChart *c, const SvgSeries *s, int ns);
/* vals[k * ncat + j]: series k, category j (NaN: no bar). */
void svg_bar_chart(StrBuf *b, const SvgChart *c, const char *const *cats, int ncat, const char *const *names, int ns,
                   const double *vals);
/* One bar per row, labels on the left, values at the bars' ends; colors[i] of row i (NULL: all 0). */
void svg_hbar_chart(StrBuf *b, const SvgChart *c, const char *const *labels, const double *vals, const int *colors,
                    int n);
/* C x C counts m[true * C + predicted], coloured by the share of the row (the true class); every cell
 * is a <rect class="cell"> with a tooltip, for more than 30 classes only the diagonal and non-zero ones. */
void svg_heatmap(StrBuf *b, const SvgChart *c, const char *const *labels, int C, const int64_t *m);

/* Tick positions of a nice linear axis over [lo, hi] (about want of them, steps 1, 2, 5 x 10^k);
 * returns the count (<= 32) and sets *step. Exposed for the tests. */
int svg_nice_ticks(double lo, double hi, int want, double *ticks, double *step);
/* A tick label: v with as many decimals as step needs ("0.25", "1e+06"). */
void svg_fmt_tick(char *buf, int n, double v, double step);

#endif
