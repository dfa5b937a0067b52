/* The HTML report (src/report): run folders written by hand (tests/report_fixture.h) are rendered and
 * the page is checked: balanced tags, every chart there with data, hostile strings escaped, a stopped
 * run, a resumed run, missing and broken files, NaN / one point / no point / huge ranges, 101 classes;
 * plus the JSON tree reader, the tick maths, and the fedvssl report command. The same page in a real
 * browser: test_report_browser. */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../src/io/json.h"
#include "../src/report/report.h"
#include "../src/report/svg.h"
#include "check.h"
#include "golden.h"
#include "html_check.h"
#include "report_fixture.h"

static char root[64];

static void expect_chart(const char *h, const char *id) {
    char *f = figure_of(h, id);
    CHECK(f != NULL, "chart %s is on the page", id);
    CHECK(chart_has_data(f), "chart %s has data", id);
    CHECK(!f || (!strstr(f, "nan") && !strstr(f, "inf")), "chart %s: no nan/inf coordinates", id);
    free(f);
}

static void expect_empty(const char *h, const char *id) {
    char *f = figure_of(h, id);
    CHECK(f && strstr(f, "class=\"chart empty\"") && strstr(f, "no data yet") && !strstr(f, "<svg"),
          "chart %s is an empty 'no data yet' panel", id);
    free(f);
}

static char *render(const char *dir, int *n) {
    StrBuf b = {0};
    char err[1024] = "";
    *n = report_render(dir, &b, err, sizeof err);
    CHECK(*n > 0, "render %s: %s", dir, err);
    char why[256] = "";
    CHECK(!b.p || html_check(b.p, why, sizeof why) == 0, "%s: page well-formed: %s", dir, why);
    return b.p ? b.p : xstrdup("");
}

/* The page never fetches anything and runs nothing. */
static void expect_self_contained(const char *h) {
    int ext = 0; /* url() only of the page's own fragments */
    for (const char *p = h; (p = strstr(p, "url(")); p += 4) ext += p[4] != '#';
    CHECK(!strstr(h, "<script") && !strstr(h, "<link") && !strstr(h, "<img") && !strstr(h, "<iframe") && !ext &&
              !strstr(h, "src=\"") && !strstr(h, "href=\"http"),
          "no script, no external resource");
    CHECK(count(h, "<svg") == count(h, "</svg>") && count(h, "<figure") == count(h, "</figure>"), "svg/figure closed");
}

/* ---------------------------------------------------------------- the demo root */
static void test_demo(void) {
    char dir[128];
    snprintf(dir, sizeof dir, "%s/demo", root);
    fx_demo(dir);
    int n;
    char *h = render(dir, &n);
    CHECK(n == 4, "4 run folders (pretrain, finetune, retrieve_a, retrieve_b), got %d", n);
    expect_self_contained(h);
    CHECK(!strstr(h, "too_deep") && !strstr(h, ".hidden") && !strstr(h, "0.125") && !strstr(h, "6.25%"),
          "depth 3 and hidden folders are not rendered");
    /* order: pretrain, finetune, then the retrievals by name */
    const char *s0 = strstr(h, "id=\"run-0\""), *s1 = strstr(h, "id=\"run-1\""), *s2 = strstr(h, "id=\"run-2\""),
               *s3 = strstr(h, "id=\"run-3\"");
    CHECK(s0 && s1 && s2 && s3 && s0 < s1 && s1 < s2 && s2 < s3, "sections in order");
    CHECK(s0 && !strncmp(strstr(s0, "<h2>") + 4, "pretrain ", 9), "run-0 is pretrain");
    CHECK(s1 && !strncmp(strstr(s1, "<h2>") + 4, "finetune ", 9), "run-1 is finetune");
    CHECK(s2 && !strncmp(strstr(s2, "<h2>") + 4, "retrieve_a ", 11), "run-2 is retrieve_a");
    static const char *const charts[] = {
        "overview-time",      "overview-recall",   "r0-pretrain-loss", "r0-pretrain-round", "r0-pretrain-lr",
        "r0-pretrain-speed",  "r0-pretrain-time",  "r1-finetune-loss", "r1-finetune-acc",   "r1-finetune-lr",
        "r1-finetune-speed",  "r1-finetune-time",  "r1-test-acc",      "r1-test-perclass",  "r1-test-confusion",
        "r2-retrieve-recall", "r3-retrieve-recall"};
    for (size_t i = 0; i < sizeof charts / sizeof *charts; i++) expect_chart(h, charts[i]);
    CHECK((count(h, "<figure class=\"chart") - count(h, "\"chart empty\"")) == (int)(sizeof charts / sizeof *charts),
          "exactly the expected charts (%d)", (count(h, "<figure class=\"chart") - count(h, "\"chart empty\"")));
    CHECK(!strstr(h, "overview-test") && !strstr(h, "overview-ft-"), "no comparisons of a single test / fine-tune");

    /* every chart has a title, axes and (for more than one series) a legend */
    char *f = figure_of(h, "r0-pretrain-loss");
    CHECK(f && strstr(f, "<title>CtP training loss per client</title>") && strstr(f, "class=\"axis y\"") &&
              strstr(f, "class=\"axis x\"") && count(f, "class=\"legend\"") == 2 && strstr(f, ">client 2<"),
          "loss chart: title, axes, legend of 2 clients");
    CHECK(f && count(f, "<path class=\"series\"") == 2, "one line per client");
    /* the NaN loss is left out and said so; 1e200 next to 20 puts the axis on a log scale */
    CHECK(f && strstr(f, "1 value not drawn"), "NaN counted in a note");
    CHECK(f && strstr(f, "(log scale)"), "huge range drawn on a log scale");
    free(f);

    /* escaping of every string from files */
    CHECK(!strstr(h, HOSTILE_CFG) && strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"), "config value escaped");
    CHECK(!strstr(h, HOSTILE_ERR) && strstr(h, "&lt;img src=x onerror=alert(2)&gt; &amp; &#39;q&#39;"),
          "client error escaped (failed-fit table)");
    CHECK(!strstr(h, "<b>") && count(h, "&lt;b&gt;Bold&amp;Co&lt;/b&gt;") >= 3, "class name escaped (%d)",
          count(h, "&lt;b&gt;Bold&amp;Co&lt;/b&gt;"));

    /* the stopped pretrain run */
    CHECK(strstr(h, "pre-training incomplete: 2 of 3 rounds") != NULL, "stopped run: 2 of 3 rounds");
    CHECK(strstr(h, "metrics.jsonl:") && strstr(h, "the last line is incomplete"), "the cut-off last line is a note");
    CHECK(strstr(h, "Failed client fits (1)") != NULL, "the failed fit is listed");
    /* time of the stopped pretrain: rounds 1-2 (5.5 s each) + client 1 of round 3 (2 s) */
    CHECK(strstr(h, "13.0 s") != NULL, "pretrain time 13.0 s");

    /* the resumed fine-tune: epoch 2 once (its last record), 3 of 3 */
    CHECK(strstr(h, "fine-tuning complete: 3 epochs") != NULL, "finetune complete");
    f = figure_of(h, "r1-finetune-time");
    CHECK(f && count(f, "class=\"dot\"") == 3, "3 epochs drawn once each (%d dots)",
          f ? count(f, "class=\"dot\"") : -1);
    free(f);
    f = figure_of(h, "r1-finetune-loss");
    CHECK(f && count(f, "class=\"dot\"") == 9, "6 interval points + 3 epochs (%d dots)",
          f ? count(f, "class=\"dot\"") : -1);
    free(f);
    f = figure_of(h, "r1-finetune-lr");
    CHECK(f && strstr(f, "(log scale)"), "lr over 2 decades: log scale");
    free(f);
    f = figure_of(h, "r1-finetune-acc");
    CHECK(f && strstr(f, ">100%<") && strstr(f, ">0%<"), "accuracy axis 0..100%%");
    free(f);

    /* test: numbers, per-class bars, the confusion matrix labelled with the class names */
    CHECK(strstr(h, ">66.7%<") && strstr(h, ">100.0%<"), "top-1 / top-5 tiles");
    f = figure_of(h, "r1-test-confusion");
    CHECK(f && count(f, "<rect class=\"cell\"") == 9, "3 x 3 cells");
    CHECK(f && strstr(f, "true ApplyEyeMakeup \xe2\x86\x92 predicted ApplyEyeMakeup: 2 of 2 (100.0%)"), "cell tooltip");
    CHECK(f && strstr(f, "true Basketball \xe2\x86\x92 predicted &lt;b&gt;Bold&amp;Co&lt;/b&gt;: 1 of 2 (50.0%)"),
          "off-diagonal cell");
    CHECK(f && strstr(f, ">Basketball</text>") && strstr(f, "predicted class") && strstr(f, "true class"),
          "axes labelled");
    free(f);
    f = figure_of(h, "r1-test-perclass");
    CHECK(f && count(f, "<rect class=\"bar\"") == 3, "3 per-class bars");
    free(f);

    /* retrieval */
    f = figure_of(h, "r2-retrieve-recall");
    CHECK(f && count(f, "<rect class=\"bar\"") == 5 && strstr(f, ">R@50<") && strstr(f, ">25.0%<"), "R@1..R@50 bars");
    free(f);
    f = figure_of(h, "overview-recall");
    CHECK(f && count(f, "<rect class=\"bar\"") == 10 && strstr(f, ">retrieve_b<"), "both retrievals compared");
    free(f);
    f = figure_of(h, "overview-time");
    CHECK(f && count(f, "<rect class=\"bar\"") == 5 && strstr(f, "finetune: test"), "5 stages timed");
    free(f);

    /* config */
    CHECK(strstr(h, "<details class=\"config\" open><summary>Configuration (config.yaml)</summary>") &&
              strstr(h, "mix_coeff: 0.9"),
          "config shown");
    free(h);

    /* report_write: the file, atomically (no temp file left) */
    char err[512];
    CHECK(report_write(dir, err, sizeof err) == 4, "report_write: %s", err);
    char p[256];
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *w = slurp(p);
    CHECK(strlen(w) > 1000 && strstr(w, "</html>"), "report.html written");
    free(w);
    DIR *d = opendir(dir);
    struct dirent *de;
    int tmp = 0;
    while (d && (de = readdir(d))) tmp += strstr(de->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    CHECK(tmp == 0, "no temp file left");
    /* a report of one run folder alone */
    snprintf(p, sizeof p, "%s/demo/finetune", root);
    h = render(p, &n);
    CHECK(n == 1 && strstr(h, "r0-test-confusion") && !strstr(h, "recall"), "a single run folder renders alone");
    free(h);
}

/* ---------------------------------------------------------------- little or broken data */
static void test_sparse(void) {
    char dir[128], err[512];
    int n;
    /* a pretrain that has written only its config */
    snprintf(dir, sizeof dir, "%s/started", root);
    fx_write(dir, "config.yaml", "pool_size: 5\nrounds: 20\n");
    char *h = render(dir, &n);
    CHECK(strstr(h, "badge pretrain") && strstr(h, "pre-training incomplete: 0 of 20 rounds"), "config-only pretrain");
    CHECK(strstr(h, "<h2>started <span") != NULL, "the folder itself is named by its last component");
    expect_empty(h, "r0-pretrain-loss");
    expect_empty(h, "r0-pretrain-round");
    expect_empty(h, "r0-pretrain-time");
    free(h);
    /* numbers no run writes: shown as they are, never converted (make sanitize checks the conversions) */
    snprintf(dir, sizeof dir, "%s/odd_config", root);
    fx_write(dir, "config.yaml", "pool_size: 1e30\nrounds: nan\n");
    h = render(dir, &n);
    CHECK(strstr(h, ">1e+30<") != NULL, "a pool_size of 1e30 shown as it is");
    free(h);
    snprintf(dir, sizeof dir, "%s/started", root);
    /* an empty metrics.jsonl too */
    fx_write(dir, "metrics.jsonl", "%s", "");
    h = render(dir, &n);
    expect_empty(h, "r0-pretrain-speed");
    free(h);

    /* one point of everything */
    snprintf(dir, sizeof dir, "%s/one", root);
    fx_write(
        dir, "metrics.jsonl",
        "{\"event\": \"train\", \"epoch\": 1, \"iter\": 10, \"iters\": 10, \"loss\": 2.5, \"acc\": 0.5, \"lr\": 0.01, "
        "\"clips_per_s\": 3.0}\n{\"event\": \"epoch\", \"epoch\": 1, \"epochs\": 150, \"iters\": 10, \"loss\": 2.5, "
        "\"top1\": 0.5, \"lr\": 0.01, \"seconds\": 9.0, \"clips_per_s\": 3.0}\n");
    h = render(dir, &n);
    CHECK(strstr(h, "fine-tuning incomplete: 1 of 150 epochs") != NULL, "1 of 150 epochs");
    expect_chart(h, "r0-finetune-time");
    char *f = figure_of(h, "r0-finetune-time");
    CHECK(f && count(f, "class=\"dot\"") == 1 && strstr(f, ">1</text>"), "one point: a dot, and its tick");
    CHECK(f && strstr(f, ">0</text>") && !strstr(f, ">-1</text>"), "a lone epoch 1: axis 0..2, nothing negative");
    free(f);
    free(h);

    /* only NaN */
    snprintf(dir, sizeof dir, "%s/nan", root);
    fx_write(dir, "metrics.jsonl",
             "{\"event\": \"epoch\", \"epoch\": 1, \"epochs\": 2, \"loss\": NaN, \"top1\": NaN, \"lr\": Infinity, "
             "\"seconds\": -Infinity}\n");
    h = render(dir, &n);
    f = figure_of(h, "r0-finetune-loss");
    CHECK(f && strstr(f, "class=\"chart empty\"") && strstr(f, "only NaN or Inf"), "all-NaN chart says so");
    free(f);
    free(h);

    /* garbage everywhere: a clear note, no crash */
    snprintf(dir, sizeof dir, "%s/garbage", root);
    fx_write(dir, "metrics.jsonl",
             "\x01\x02garbage\n{\"event\": 5}\n[1, 2]\n{\"event\": \"epoch\", \"epoch\": \"x\"}\n");
    fx_write(dir, "results.json", "{\"top1\": 0.5,");
    fx_write(dir, "retrieval.json", "[]");
    fx_write(dir, "per_class.tsv", "class\tname\nnot a row\n");
    fx_write(dir, "test_scores.npz", "PK not a zip");
    h = render(dir, &n);
    CHECK(strstr(h, "metrics.jsonl:1:1: unexpected character (line skipped)") != NULL, "garbage line named");
    CHECK(strstr(h, "metrics.jsonl:3: not a JSON object") != NULL, "array line named");
    CHECK(strstr(h, "results.json:1:14: expected a string") != NULL, "truncated results.json named");
    CHECK(strstr(h, "retrieval.json: not a JSON object") != NULL, "retrieval.json named");
    CHECK(strstr(h, "test_scores.npz") && strstr(h, "per_class.tsv: 1 malformed line skipped"), "npz and tsv named");
    CHECK(strstr(h, "unknown kind ignored") != NULL, "event 5 ignored");
    free(h);

    /* found by fuzz_report: a per_class.tsv row whose class id is beyond the 100000 limit */
    snprintf(dir, sizeof dir, "%s/tsv", root);
    fx_write(dir, "per_class.tsv", "class\tname\tvideos\tcorrect\ttop1\n2\tB\t2\t1\t0.5\n7000000\tX\t1\t1\t1.0\n");
    h = render(dir, &n);
    CHECK(strstr(h, ">class 1</text>") && strstr(h, ">B</text>") && !strstr(h, ">X</text>"),
          "class ids beyond the limit left out");
    free(h);
    /* the fuzzer's inputs themselves, as every file of a run folder (as fuzz_report writes them): a class id
     * beyond the limit indexed past the names; a huge video count was converted to int (UBSan); metrics lines
     * without a client id converted NaN to int (UBSan) */
    static const char *const regress[] = {"report_tsv_class_id_huge", "report_tsv_videos_huge",
                                          "report_jsonl_client_missing"};
    for (size_t k = 0; k < sizeof regress / sizeof *regress; k++) {
        size_t rn;
        const char *re;
        char rp[128];
        snprintf(rp, sizeof rp, "tests/fuzz/regress/%s", regress[k]);
        char *reg = (char *)read_file(rp, &rn, &re);
        CHECK(reg != NULL, "%s: %s (run from the repository root)", rp, reg ? "" : re);
        if (!reg) continue;
        snprintf(dir, sizeof dir, "%s/regress%zu", root, k);
        static const char *const names[] = {"metrics.jsonl", "results.json", "retrieval.json", "per_class.tsv",
                                             "config.yaml"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) fx_write_bytes(dir, names[i], reg, rn);
        h = render(dir, &n); /* checks it renders; the conversion itself is checked under make sanitize */
        free(h);
        free(reg);
    }

    /* test_scores.npz alone, 101 classes */
    snprintf(dir, sizeof dir, "%s/scores", root);
    fx_scores(dir, 202, 101);
    h = render(dir, &n);
    f = figure_of(h, "r0-test-confusion");
    CHECK(f && count(f, "<rect class=\"cell\"") == 201, "101 x 101: the diagonal and the 100 other non-zero cells (%d)",
          f ? count(f, "<rect class=\"cell\"") : -1);
    CHECK(f && strstr(f, ">class 101</text>"), "classes labelled");
    CHECK(f && strstr(f, "true class 2 \xe2\x86\x92 predicted class 8: 2 of 2 (100.0%)") &&
              strstr(f, "true class 2 \xe2\x86\x92 predicted class 2: 0 of 2 (0.0%)"),
          "video 1 and 102 (class 2) predicted as class 8; the empty diagonal cell is drawn");
    free(f);
    CHECK(strstr(h, "computed from test_scores.npz") && strstr(h, ">1.0%<"), "top-1 from the scores: 2 of 202");
    expect_chart(h, "r0-test-perclass");
    free(h);

    /* nothing to report, and no folder */
    snprintf(dir, sizeof dir, "%s/nothing", root);
    mkdir_p(dir);
    StrBuf b = {0};
    CHECK(report_render(dir, &b, err, sizeof err) == -1 && strstr(err, "no run folder"), "empty folder: %s", err);
    snprintf(dir, sizeof dir, "%s/missing", root);
    CHECK(report_render(dir, &b, err, sizeof err) == -1 && strstr(err, "no such folder"), "missing folder: %s", err);
    CHECK(b.n == 0, "nothing rendered");
    free(b.p);
}

/* ---------------------------------------------------------------- charts directly */
static void test_charts(void) {
    double x[6] = {1, 2, 3, 4, 5, 6}, huge[6] = {-1e250, 1e250, 0, NAN, INFINITY, 2e300};
    StrBuf b = {0};
    svg_line_chart(&b, &(SvgChart){.id = "t-huge", .title = "huge", .xlabel = "x", .ylabel = "y", .x_integer = 1},
                   &(SvgSeries){.name = "s", .x = x, .y = huge, .n = 6}, 1);
    CHECK(b.p && chart_has_data(b.p) && !strstr(b.p, "nan") && !strstr(b.p, "inf"),
          "+-1e250: drawn, finite coordinates");
    CHECK(b.p && strstr(b.p, "3 values not drawn"), "NaN, Inf and 2e300 not drawn");
    CHECK(b.p && count(b.p, "<circle") == 3, "3 dots");
    b.n = 0;
    double tiny[3] = {1.0000001, 1.0000002, 1.0000003};
    svg_line_chart(&b, &(SvgChart){.id = "t-tiny", .title = "tiny", .xlabel = "x", .ylabel = "y"},
                   &(SvgSeries){.name = "s", .x = x, .y = tiny, .n = 3}, 1);
    CHECK(b.p && strstr(b.p, ">1.0000002"), "a tiny range gets enough decimals");
    b.n = 0;
    /* a long series is reduced to the pixel columns, its extremes kept */
    int N = 100000;
    double *lx = xmalloc(sizeof(double) * N), *ly = xmalloc(sizeof(double) * N);
    for (int i = 0; i < N; i++) lx[i] = i, ly[i] = i == 54321 ? 100 : sin(i * 0.01);
    svg_line_chart(&b, &(SvgChart){.id = "t-long", .title = "long", .xlabel = "x", .ylabel = "y"},
                   &(SvgSeries){.name = "s", .x = lx, .y = ly, .n = N}, 1);
    CHECK(b.n < 60000 && count(b.p, "L") > 500, "100000 points in %zu bytes", b.n);
    CHECK(strstr(b.p, ">100<") != NULL, "the spike sets the axis");
    free(lx), free(ly);
    b.n = 0;
    svg_line_chart(&b, &(SvgChart){.id = "t-zero", .title = "zero", .xlabel = "x", .ylabel = "y"},
                   &(SvgSeries){.name = "s", .x = x, .y = x, .n = 0}, 1);
    CHECK(strstr(b.p, "no data yet") && strstr(b.p, "chart empty"), "zero points");
    b.n = 0;
    svg_heatmap(&b, &(SvgChart){.id = "t-hm", .title = "hm"}, NULL, 0, NULL);
    CHECK(strstr(b.p, "no data yet") != NULL, "no matrix");
    b.n = 0;
    double v[2] = {INFINITY, 3};
    const char *cats[2] = {"a", "b"};
    svg_bar_chart(&b, &(SvgChart){.id = "t-bar", .title = "bar"}, cats, 2, NULL, 1, v);
    CHECK(count(b.p, "<rect class=\"bar\"") == 1 && strstr(b.p, "1 value not drawn"), "Inf bar left out");
    free(b.p);

    double t[33], step;
    int nt = svg_nice_ticks(0, 1, 5, t, &step);
    CHECK(nt == 6 && step == 0.2 && t[5] == 1, "ticks 0..1 by 0.2 (%d, %g)", nt, step);
    nt = svg_nice_ticks(-3e299, 7e299, 5, t, &step);
    CHECK(nt >= 2 && nt <= 32 && isfinite(step), "ticks over 1e300 (%d)", nt);
    nt = svg_nice_ticks(0, 1e-300, 5, t, &step);
    CHECK(nt >= 2 && nt <= 32, "ticks over 1e-300 (%d)", nt);
    char s[48];
    svg_fmt_tick(s, sizeof s, 0.25, 0.05);
    CHECK(!strcmp(s, "0.25"), "tick 0.25: %s", s);
    svg_fmt_tick(s, sizeof s, 2e6, 1e6);
    CHECK(!strcmp(s, "2e+06"), "tick 2e6: %s", s);
    svg_fmt_tick(s, sizeof s, 40, 20);
    CHECK(!strcmp(s, "40"), "tick 40: %s", s);
}

/* ---------------------------------------------------------------- escaping and JSON */
static void test_escape_json(void) {
    StrBuf b = {0};
    html_escape(&b, "a<b>&\"'\x01\xff\xc3\xa9\xed\xa0\x80z\n");
    CHECK(!strcmp(b.p,
                  "a&lt;b&gt;&amp;&quot;&#39;\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\n"),
          "escape: %s", b.p);
    b.n = 0;
    html_escape_cut(&b, "\xc3\xa9t\xc3\xa9<", 2);
    CHECK(!strcmp(b.p, "\xc3\xa9t\xe2\x80\xa6"), "cut at 2 characters: %s", b.p);
    free(b.p);

    char err[256];
    const char *doc = "{\"a\": [1, 2.5, -3e2, true, null, \"x\\u00e9\"], \"b\": {\"c\": NaN}, \"a\": -Infinity}";
    JsonValue *v = json_parse(doc, strlen(doc), "t", 1, err, sizeof err);
    CHECK(v && v->type == JV_OBJ && v->n == 3, "parsed: %s", v ? "" : err);
    if (v) {
        const JsonValue *a = &v->items[0];
        CHECK(a->type == JV_ARR && a->n == 6 && a->items[1].num == 2.5 && a->items[2].num == -300 &&
                  a->items[3].num == 1 && a->items[4].type == JV_NULL && !strcmp(a->items[5].str, "x\xc3\xa9"),
              "array items");
        CHECK(isnan(json_get_num(json_get(v, "b"), "c")), "NaN");
        CHECK(json_get_num(v, "a") == -INFINITY, "the last duplicate wins");
        CHECK(isnan(json_get_num(v, "zz")) && !strcmp(json_get_str(v, "zz", "d"), "d"), "defaults");
    }
    json_free(v);
    CHECK(!json_parse("[NaN]", 5, "t", 0, err, sizeof err) && strstr(err, "t:1:2:"), "NaN refused unless allowed: %s",
          err);
    CHECK(!json_parse("{\"a\": 1} x", 10, "t", 1, err, sizeof err) && strstr(err, "after the value"),
          "trailing text: %s", err);
    CHECK(!json_parse("{\"a\": [1, {\"b\"", 14, "t", 1, err, sizeof err), "truncated");
    char deep[200];
    memset(deep, '[', sizeof deep);
    CHECK(!json_parse(deep, sizeof deep, "t", 1, err, sizeof err) && strstr(err, "too deep"), "depth limit: %s", err);
}

/* ---------------------------------------------------------------- the command */
static void test_command(void) {
    char dir[128];
    snprintf(dir, sizeof dir, "%s/demo", root);
    CHECK(sh("%s report %s > %s/out.txt", fedvssl_bin, dir, root) == 0, "fedvssl report exits 0");
    char p[256];
    snprintf(p, sizeof p, "%s/out.txt", root);
    char *o = slurp(p);
    CHECK(strstr(o, "report.html (4 run folders)") != NULL, "says where: %s", o);
    free(o);
    CHECK(sh("%s report %s out=%s/elsewhere.html quiet=true", fedvssl_bin, dir, root) == 0, "out=");
    snprintf(p, sizeof p, "%s/elsewhere.html", root);
    CHECK(is_file(p), "out= written");
    CHECK(sh("%s report %s/missing 2> %s/err.txt", fedvssl_bin, root, root) == 1, "missing folder: exit 1");
    snprintf(p, sizeof p, "%s/err.txt", root);
    o = slurp(p);
    CHECK(strstr(o, "no such folder") && count(o, "\n") == 1, "one clear line: %s", o);
    free(o);
    CHECK(sh("%s report 2>/dev/null", fedvssl_bin) == 1, "no folder given: exit 1");
    CHECK(sh("%s report --help | grep -q 'depth\\|2 levels'", fedvssl_bin) == 0, "--help explains");
    CHECK(sh("%s --help | grep -q '^  report '", fedvssl_bin) == 0, "listed in fedvssl --help");
}

int main(int argc, char **argv) {
    (void)argc;
    fedvssl_bin_init(argv[0]);
    snprintf(root, sizeof root, "/tmp/fedvssl_test_report_XXXXXX");
    if (!mkdtemp(root)) die("mkdtemp: %m");
    double t0 = now_sec();
    test_escape_json();
    test_charts();
    test_demo();
    test_sparse();
    test_command();
    printf("report tests: %.2f s\n", now_sec() - t0);
    scratch_done(root);
    TEST_END();
}
