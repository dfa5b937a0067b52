/* The report in a real browser: the demo-style fixture of report_fixture.h is rendered, opened in
 * headless Chromium by tests/browser_report.sh, and the DOM the browser built is checked (every chart
 * there with its data, nothing hostile turned into elements), the console is empty, and a screenshot
 * is kept as <build>/report.png (look at it). Exits 77 (skipped) where Chromium is not installed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../src/report/report.h"
#include "check.h"
#include "html_check.h"
#include "report_fixture.h"

static char *slurp_n(const char *path, size_t *n) {
    const char *e;
    char *s = (char *)read_file(path, n, &e);
    if (!s) return *n = 0, xstrdup("");
    s = xrealloc(s, *n + 1);
    s[*n] = 0;
    return s;
}

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

int main(int argc, char **argv) {
    (void)argc;
    /* <build>/tests/test_report_browser: the screenshot goes to <build>/report.png */
    char build[1024] = "build", script[1100] = "tests/browser_report.sh";
    const char *sl = strrchr(argv[0], '/');
    if (sl) snprintf(build, sizeof build, "%.*s/..", (int)(sl - argv[0]), argv[0]);
    if (!is_file(script)) snprintf(script, sizeof script, "%s/../tests/browser_report.sh", build);
    char root[] = "/tmp/fedvssl_test_report_browser_XXXXXX";
    if (!mkdtemp(root)) die("mkdtemp: %m");
    char demo[128], err[1024], page[160], work[160], shot[1100], cmd[4096];
    snprintf(demo, sizeof demo, "%s/demo", root);
    fx_demo(demo);
    int nruns = report_write(demo, err, sizeof err);
    CHECK(nruns == 4, "report_write: %s", err);
    snprintf(page, sizeof page, "%s/report.html", demo);
    snprintf(work, sizeof work, "%s/browser", root);
    snprintf(shot, sizeof shot, "%s/report.png", build);
    snprintf(cmd, sizeof cmd, "bash %s %s %s %s 1280,3200", script, page, work, shot);
    double t0 = now_sec();
    int rc = system(cmd);
    rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (rc == 77) {
        printf("skipped: chromium is not installed (apt-get install chromium)\n");
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        if (system(cmd)) fprintf(stderr, "could not remove %s\n", root);
        return 77;
    }
    CHECK(rc == 0, "%s: exit %d", script, rc);
    printf("browser: %.1f s\n", now_sec() - t0);

    size_t ns, nd;
    char *src = slurp_n(page, &ns), p[256];
    snprintf(p, sizeof p, "%s/dom.html", work);
    char *dom = slurp_n(p, &nd);
    CHECK(nd > 1000 && strstr(dom, "</html>"), "the browser built a DOM (%zu bytes)", nd);
    char why[256] = "";
    CHECK(html_check(dom, why, sizeof why) == 0, "the DOM is balanced: %s", why);
    /* the browser's DOM has what the page has: no element dropped or re-nested away by the parser */
    int fig = (count(src, "<figure class=\"chart") - count(src, "\"chart empty\"")), svg = count(src, "<svg");
    CHECK(fig == 17 && (count(dom, "<figure class=\"chart") - count(dom, "\"chart empty\"")) == fig,
          "%d charts in the DOM (%d in the page)",
          (count(dom, "<figure class=\"chart") - count(dom, "\"chart empty\"")), fig);
    CHECK(count(dom, "<svg") == svg && count(dom, "<rect class=\"cell\"") == count(src, "<rect class=\"cell\"") &&
              count(dom, "<rect class=\"bar\"") == count(src, "<rect class=\"bar\"") &&
              count(dom, "<path class=\"series\"") == count(src, "<path class=\"series\""),
          "svg, cells, bars and lines all in the DOM");
    int drawn = 0;
    for (const char *q = dom; (q = strstr(q, "data-chart=\"")); q += 12) {
        char id[64];
        if (sscanf(q + 12, "%63[^\"]", id) != 1) continue;
        char *f = figure_of(dom, id);
        int ok = chart_has_data(f) || (f && strstr(f, "chart empty"));
        CHECK(ok, "chart %s has data in the DOM", id);
        drawn += chart_has_data(f);
        free(f);
    }
    CHECK(drawn == fig, "%d of %d charts drawn", drawn, fig);
    CHECK(strstr(dom, "<title>fedvssl report: ") && strstr(dom, "Confusion matrix"), "titles");
    /* hostile text stayed text */
    CHECK(!strstr(dom, "<script") && !strstr(dom, "<img") && !strstr(dom, "<b>") &&
              strstr(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") && strstr(dom, "&lt;b&gt;Bold&amp;Co&lt;/b&gt;"),
          "hostile strings are text in the DOM");
    snprintf(p, sizeof p, "%s/console.txt", work);
    size_t nc;
    char *con = slurp_n(p, &nc);
    CHECK(nc == 0, "no console messages: %s", con);
    /* the screenshot: a PNG of the window's size, not blank (a blank page compresses to a few KB) */
    size_t npng;
    unsigned char *png = (unsigned char *)slurp_n(shot, &npng);
    CHECK(npng > 24 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8) && !memcmp(png + 12, "IHDR", 4), "%s is a PNG", shot);
    CHECK(npng > 24 && be32(png + 16) == 1280 && be32(png + 20) == 3200, "1280 x 3200 (%u x %u)",
          npng > 24 ? be32(png + 16) : 0, npng > 24 ? be32(png + 20) : 0);
    CHECK(npng > 60000, "the screenshot has content (%zu bytes)", npng);
    free(src), free(dom), free(con), free(png);
    scratch_done(root);
    printf("screenshot: %s\n", shot);
    TEST_END();
}
