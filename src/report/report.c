/* The HTML report of run folders (see report.h): the page, with the charts of svg.c, from the runs that
 * runs.c reads. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/fsutil.h"
#include "../core/util.h"
#include "runs.h"
#include "svg.h"

/* Append (x, y) to a series kept increasing in x: a point at or before the last one means the run was
 * resumed there, and the older points from x on are dropped. */
static void series_add(double **xs, double **ys, int *n, int *cap, double x, double y) {
    if (!isfinite(x)) return;
    while (*n > 0 && (*xs)[*n - 1] >= x) (*n)--;
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *xs = xrealloc(*xs, sizeof(double) * (size_t)*cap);
        *ys = xrealloc(*ys, sizeof(double) * (size_t)*cap);
    }
    (*xs)[*n] = x, (*ys)[*n] = y;
    (*n)++;
}

typedef struct {
    double *x, *y;
    int n, cap;
} Xy;

static void xy_add(Xy *s, double x, double y) { series_add(&s->x, &s->y, &s->n, &s->cap, x, y); }
static void xy_free(Xy *s, int n) {
    for (int i = 0; i < n; i++) free(s[i].x), free(s[i].y);
}

/* ---------------------------------------------------------------- text helpers */

static void fmt_pct(char *b, size_t n, double v) {
    if (isfinite(v))
        snprintf(b, n, "%.1f%%", 100 * v);
    else
        snprintf(b, n, "\xe2\x80\x93"); /* – */
}

static void fmt_num(char *b, size_t n, double v) {
    if (isfinite(v))
        snprintf(b, n, "%.4g", v);
    else if (isnan(v))
        snprintf(b, n, "NaN");
    else
        snprintf(b, n, "%sInf", v < 0 ? "-" : "");
}

static void fmt_secs(char *b, size_t n, double s) {
    if (!isfinite(s) || s < 0)
        snprintf(b, n, "\xe2\x80\x93");
    else if (s < 60)
        snprintf(b, n, "%.1f s", s);
    else if (s < 3600)
        snprintf(b, n, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 1e9)
        snprintf(b, n, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(b, n, "%.3g s", s);
}

static void kpi(StrBuf *b, const char *value, const char *label) {
    sb_str(b, "<div class=\"kpi\"><div class=\"v\">");
    html_escape(b, value);
    sb_str(b, "</div><div class=\"k\">");
    html_escape(b, label);
    sb_str(b, "</div></div>");
}

static const char *run_name(const Run *r) { return r->name; }

/* ---------------------------------------------------------------- sections */

static void chart_id(char *buf, size_t n, int run, const char *what) { snprintf(buf, n, "r%d-%s", run, what); }

static void section_pretrain(StrBuf *b, const Run *r, int ri) {
    char id[64], t[64];
    int ids[64], nc = clients_of(r, ids, 64);
    sb_str(b, "<h3>Federated pre-training</h3>\n<div class=\"grid\">\n");
    /* training loss per client over rounds */
    Xy loss[64] = {{0}}, speed[64] = {{0}};
    SvgSeries ss[66];
    char names[66][32];
    for (int i = 0; i < r->npt; i++) {
        int c = client_index(ids, nc, r->pt[i].client);
        if (c == nc) continue;
        xy_add(&loss[c], r->pt[i].x, r->pt[i].loss);
        xy_add(&speed[c], r->pt[i].x, r->pt[i].cps);
    }
    for (int c = 0; c < nc; c++) {
        snprintf(names[c], sizeof names[c], "client %d", ids[c]);
        ss[c] = (SvgSeries){.name = names[c], .x = loss[c].x, .y = loss[c].y, .n = loss[c].n, .color = c};
    }
    chart_id(id, sizeof id, ri, "pretrain-loss");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "CtP training loss per client",
                               .xlabel = "progress in rounds",
                               .ylabel = "loss",
                               .x_integer = 1},
                   ss, nc);

    /* aggregated round loss, with each client's mean loss of the round */
    PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
    int nr = rounds_dedup(r, d);
    double *rx = xmalloc(sizeof(double) * (size_t)(nr + 1) * 4), *ry = rx + nr + 1, *sx = ry + nr + 1,
           *wx = sx + nr + 1;
    for (int i = 0; i < nr; i++)
        rx[i] = d[i].round, ry[i] = d[i].loss, sx[i] = d[i].seconds, wx[i] = d[i].server_seconds;
    Xy fl[64] = {{0}}, ft[64] = {{0}};
    for (int i = 0; i < r->nfit; i++) {
        int c = client_index(ids, nc, r->fit[i].client);
        if (c == nc) continue;
        if (r->fit[i].ok) xy_add(&fl[c], r->fit[i].round, r->fit[i].mean_loss);
        xy_add(&ft[c], r->fit[i].round, r->fit[i].seconds);
    }
    ss[0] = (SvgSeries){.name = "round loss (aggregated)", .x = rx, .y = ry, .n = nr, .color = SVG_DARK};
    for (int c = 0; c < nc; c++) {
        snprintf(names[c + 1], sizeof names[c + 1], "client %d mean", ids[c]);
        ss[c + 1] = (SvgSeries){.name = names[c + 1], .x = fl[c].x, .y = fl[c].y, .n = fl[c].n, .color = c, .thin = 1};
    }
    chart_id(id, sizeof id, ri, "pretrain-round");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Aggregated loss per round",
                               .xlabel = "round",
                               .ylabel = "weighted mean loss",
                               .x_integer = 1},
                   ss, nc + 1);

    /* held-out CtP loss against predicting zero motion: whether the pretext task is learned at all */
    Xy hl = {0}, hz = {0};
    for (int i = 0; i < nr; i++)
        if (isfinite(d[i].heldout) && isfinite(d[i].heldout_zero))
            xy_add(&hl, d[i].round, d[i].heldout), xy_add(&hz, d[i].round, d[i].heldout_zero);
    if (hl.n) {
        ss[0] = (SvgSeries){.name = "held-out loss (clients' mean)", .x = hl.x, .y = hl.y, .n = hl.n, .color = SVG_DARK};
        ss[1] = (SvgSeries){.name = "predicting zero motion", .x = hz.x, .y = hz.y, .n = hz.n, .color = 0, .thin = 1};
        chart_id(id, sizeof id, ri, "pretrain-heldout");
        svg_line_chart(b,
                       &(SvgChart){.id = id,
                                   .title = "Held-out CtP loss (below predict-zero = motion learned)",
                                   .xlabel = "round",
                                   .ylabel = "loss",
                                   .x_integer = 1},
                       ss, 2);
    }
    free(hl.x), free(hl.y), free(hz.x), free(hz.y);

    /* learning rate: the mean of the round's logged values */
    double *lx = xmalloc(sizeof(double) * (size_t)(r->npt + 1) * 2), *ly = lx + r->npt + 1;
    int nl = 0;
    for (int i = 0; i < r->npt; i++) {
        double R = r->pt[i].round;
        if (!isfinite(R)) continue;
        int j = 0;
        while (j < nl && lx[j] != R) j++;
        if (j == nl) lx[nl] = R, ly[nl++] = r->pt[i].lr;
    }
    chart_id(id, sizeof id, ri, "pretrain-lr");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Learning rate",
                               .xlabel = "round",
                               .ylabel = "learning rate",
                               .x_integer = 1,
                               .log_ratio = 5},
                   &(SvgSeries){.name = "lr", .x = lx, .y = ly, .n = nl, .step = 1}, 1);

    for (int c = 0; c < nc; c++)
        ss[c] = (SvgSeries){.name = names[c], .x = speed[c].x, .y = speed[c].y, .n = speed[c].n, .color = c};
    for (int c = 0; c < nc; c++) snprintf(names[c], sizeof names[c], "client %d", ids[c]);
    chart_id(id, sizeof id, ri, "pretrain-speed");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Training throughput",
                               .xlabel = "progress in rounds",
                               .ylabel = "clips/s",
                               .x_integer = 1,
                               .y_zero = 1},
                   ss, nc);

    ss[0] = (SvgSeries){.name = "round (wall)", .x = rx, .y = sx, .n = nr, .color = SVG_DARK};
    ss[1] = (SvgSeries){.name = "server (aggregate + write)", .x = rx, .y = wx, .n = nr, .color = SVG_GREY};
    for (int c = 0; c < nc; c++) {
        snprintf(names[c + 2], sizeof names[c + 2], "client %d fit", ids[c]);
        ss[c + 2] = (SvgSeries){.name = names[c + 2], .x = ft[c].x, .y = ft[c].y, .n = ft[c].n, .color = c};
    }
    chart_id(id, sizeof id, ri, "pretrain-time");
    svg_line_chart(
        b,
        &(SvgChart){
            .id = id, .title = "Time per round", .xlabel = "round", .ylabel = "seconds", .x_integer = 1, .y_zero = 1},
        ss, nc + 2);
    sb_str(b, "</div>\n");

    /* failed client fits */
    int nfail = 0;
    for (int i = 0; i < r->nfit; i++) nfail += !r->fit[i].ok;
    if (nfail) {
        sb_printf(b,
                  "<h4>Failed client fits (%d)</h4>\n<table "
                  "class=\"t\"><tr><th>round</th><th>client</th><th>error</th></tr>\n",
                  nfail);
        for (int i = 0; i < r->nfit; i++) {
            if (r->fit[i].ok) continue;
            fmt_num(t, sizeof t, r->fit[i].round);
            sb_printf(b, "<tr><td>%s</td>", t);
            fmt_num(t, sizeof t, r->fit[i].client);
            sb_printf(b, "<td>%s</td><td>", t);
            html_escape_cut(b, r->fit[i].error ? r->fit[i].error : "(no message)", 400);
            sb_str(b, "</td></tr>\n");
        }
        sb_str(b, "</table>\n");
    }
    xy_free(loss, nc), xy_free(speed, nc), xy_free(fl, nc), xy_free(ft, nc);
    free(d), free(rx), free(lx);
}

static void section_finetune(StrBuf *b, const Run *r, int ri) {
    char id[64];
    sb_str(b, "<h3>Fine-tuning</h3>\n<div class=\"grid\">\n");
    Xy il = {0}, ia = {0}, is = {0};
    for (int i = 0; i < r->nft; i++) {
        xy_add(&il, r->ft[i].x, r->ft[i].loss);
        xy_add(&ia, r->ft[i].x, r->ft[i].acc);
        xy_add(&is, r->ft[i].x, r->ft[i].cps);
    }
    FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
    int ne = epochs_dedup(r, d);
    double *ex = xmalloc(sizeof(double) * (size_t)(ne + 1) * 6), *el = ex + ne + 1, *ea = el + ne + 1,
           *er = ea + ne + 1, *es = er + ne + 1, *et = es + ne + 1;
    for (int i = 0; i < ne; i++)
        ex[i] = d[i].epoch, el[i] = d[i].loss, ea[i] = d[i].top1, er[i] = d[i].lr, es[i] = d[i].cps,
        et[i] = d[i].seconds;
    SvgSeries ss[2];
    ss[0] = (SvgSeries){.name = "per log interval", .x = il.x, .y = il.y, .n = il.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch mean", .x = ex, .y = el, .n = ne, .color = 3};
    chart_id(id, sizeof id, ri, "finetune-loss");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Fine-tune loss",
                               .xlabel = "progress in epochs",
                               .ylabel = "cross-entropy loss",
                               .x_integer = 1},
                   ss, 2);
    ss[0] = (SvgSeries){.name = "per log interval", .x = ia.x, .y = ia.y, .n = ia.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch train top-1", .x = ex, .y = ea, .n = ne, .color = 2};
    chart_id(id, sizeof id, ri, "finetune-acc");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Fine-tune train accuracy",
                               .xlabel = "progress in epochs",
                               .ylabel = "top-1",
                               .x_integer = 1,
                               .percent = 1,
                               .y_zero = 1,
                               .log_ratio = -1,
                               .fixed_y = 1,
                               .ymax = 1},
                   ss, 2);
    chart_id(id, sizeof id, ri, "finetune-lr");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Learning rate",
                               .xlabel = "epoch",
                               .ylabel = "learning rate",
                               .x_integer = 1,
                               .log_ratio = 5},
                   &(SvgSeries){.name = "lr", .x = ex, .y = er, .n = ne, .step = 1}, 1);
    ss[0] = (SvgSeries){.name = "per log interval", .x = is.x, .y = is.y, .n = is.n, .thin = 1};
    ss[1] = (SvgSeries){.name = "epoch", .x = ex, .y = es, .n = ne, .color = 4};
    chart_id(id, sizeof id, ri, "finetune-speed");
    svg_line_chart(b,
                   &(SvgChart){.id = id,
                               .title = "Training throughput",
                               .xlabel = "progress in epochs",
                               .ylabel = "clips/s",
                               .x_integer = 1,
                               .y_zero = 1},
                   ss, 2);
    chart_id(id, sizeof id, ri, "finetune-time");
    svg_line_chart(
        b,
        &(SvgChart){
            .id = id, .title = "Time per epoch", .xlabel = "epoch", .ylabel = "seconds", .x_integer = 1, .y_zero = 1},
        &(SvgSeries){.name = "epoch", .x = ex, .y = et, .n = ne}, 1);
    sb_str(b, "</div>\n");
    xy_free(&il, 1), xy_free(&ia, 1), xy_free(&is, 1);
    free(d), free(ex);
}

static void section_test(StrBuf *b, const Run *r, int ri) {
    char id[64];
    sb_str(b, "<h3>Test (10 clips per video)</h3>\n<div class=\"grid\">\n");
    const char *cats[] = {"top-1", "top-5", "mean class accuracy"};
    double v[3] = {r->top1, r->top5, r->mca};
    chart_id(id, sizeof id, ri, "test-acc");
    svg_bar_chart(b, &(SvgChart){.id = id, .title = "Test accuracy", .ylabel = "accuracy", .percent = 1, .y_zero = 1},
                  cats, 3, NULL, 1, v);
    chart_id(id, sizeof id, ri, "test-perclass");
    if (r->per && r->C) {
        svg_bar_chart(
            b,
            &(SvgChart){
                .id = id, .title = "Per-class top-1", .xlabel = "class", .ylabel = "top-1", .percent = 1, .y_zero = 1},
            (const char *const *)r->names, r->C, NULL, 1, r->per);
    } else {
        svg_bar_chart(
            b,
            &(SvgChart){
                .id = id, .title = "Per-class top-1", .xlabel = "class", .ylabel = "top-1", .percent = 1, .y_zero = 1},
            NULL, 0, NULL, 1, NULL);
    }
    chart_id(id, sizeof id, ri, "test-confusion");
    svg_heatmap(b, &(SvgChart){.id = id, .title = "Confusion matrix"}, (const char *const *)r->names,
                r->conf ? r->C : 0, r->conf);
    sb_str(b, "</div>\n");
}

static void section_retrieve(StrBuf *b, const Run *r, int ri) {
    char id[64], cat[16][16];
    const char *cats[16];
    for (int k = 0; k < r->nk; k++) snprintf(cat[k], sizeof cat[k], "R@%d", r->ks[k]), cats[k] = cat[k];
    sb_str(b, "<h3>Retrieval (test videos query the train videos)</h3>\n<div class=\"grid\">\n");
    chart_id(id, sizeof id, ri, "retrieve-recall");
    svg_bar_chart(b,
                  &(SvgChart){.id = id,
                              .title = "Retrieval recall R@k",
                              .xlabel = "k nearest train videos",
                              .ylabel = "recall",
                              .percent = 1,
                              .y_zero = 1},
                  cats, r->nk, NULL, 1, r->rk);
    sb_str(b, "</div>\n");
}

/* "complete: 20 rounds", "stopped or running: 3 of 20 rounds", ... and whether it is complete. */
static int run_state(const Run *r, char *buf, size_t n) {
    buf[0] = 0;
    int complete = 1;
    size_t k = 0;
    if (r->kinds & K_PRETRAIN) {
        PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
        int nr = rounds_dedup(r, d);
        double R = pretrain_rounds_total(r), done = nr ? d[nr - 1].round : 0;
        free(d);
        if (isfinite(R) && done >= R)
            k += (size_t)snprintf(buf + k, n - k, "pre-training complete: %g rounds", R);
        else {
            complete = 0;
            if (isfinite(R))
                k += (size_t)snprintf(buf + k, n - k, "pre-training incomplete: %g of %g rounds", done, R);
            else
                k += (size_t)snprintf(buf + k, n - k, "pre-training incomplete: %g rounds", done);
        }
    }
    if ((r->kinds & K_FINETUNE) && k < n) {
        FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
        int ne = epochs_dedup(r, d);
        double E = finetune_epochs_total(r), done = ne ? d[ne - 1].epoch : 0;
        free(d);
        if (k) k += (size_t)snprintf(buf + k, n - k, "; ");
        if (k < n && isfinite(E) && done >= E)
            k += (size_t)snprintf(buf + k, n - k, "fine-tuning complete: %g epochs", E);
        else if (k < n) {
            complete = 0;
            if (isfinite(E))
                k += (size_t)snprintf(buf + k, n - k, "fine-tuning incomplete: %g of %g epochs", done, E);
            else
                k += (size_t)snprintf(buf + k, n - k, "fine-tuning incomplete: %g epochs", done);
        }
    }
    if ((r->kinds & K_TEST) && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%stested on %d videos, %d classes", k ? "; " : "", r->nvideos, r->C);
    if ((r->kinds & K_RETRIEVE) && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%sretrieval: %d queries, %d train videos", k ? "; " : "", r->nq, r->ng);
    if (!buf[0]) snprintf(buf, n, "no results yet");
    return complete && r->kinds;
}

static void badges(StrBuf *b, int kinds) {
    static const struct {
        int k;
        const char *name;
    } kk[] = {{K_PRETRAIN, "pretrain"}, {K_FINETUNE, "finetune"}, {K_TEST, "test"}, {K_RETRIEVE, "retrieve"}};
    for (size_t i = 0; i < sizeof kk / sizeof *kk; i++)
        if (kinds & kk[i].k) sb_printf(b, "<span class=\"badge %s\">%s</span>", kk[i].name, kk[i].name);
    if (!kinds) sb_str(b, "<span class=\"badge\">unknown</span>");
}

static void section_run(StrBuf *b, const Run *r, int ri) {
    char st[512], t[128], u[32];
    int complete = run_state(r, st, sizeof st);
    sb_printf(b, "<section class=\"run\" id=\"run-%d\">\n<h2>", ri);
    html_escape(b, run_name(r));
    sb_str(b, " ");
    badges(b, r->kinds);
    sb_printf(b, "</h2>\n<p class=\"state %s\">", complete ? "ok" : "warn");
    html_escape(b, st);
    sb_str(b, "</p>\n<p class=\"files\">");
    html_escape(b, r->dir);
    sb_str(b, " \xc2\xb7 read: ");
    html_escape(b, r->files);
    sb_str(b, "</p>\n<div class=\"kpis\">");
    if (r->kinds & K_PRETRAIN) {
        PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
        int nr = rounds_dedup(r, d), ids[64];
        double R = pretrain_rounds_total(r);
        snprintf(t, sizeof t, "%g / %s", nr ? d[nr - 1].round : 0.0,
                 isfinite(R) ? (snprintf(u, sizeof u, "%g", R), u) : "?");
        kpi(b, t, "rounds");
        fmt_num(t, sizeof t, nr ? d[nr - 1].loss : NAN);
        kpi(b, nr ? t : "\xe2\x80\x93", "last round loss");
        double pool = yaml_num(r, "pool_size");
        if (isfinite(pool)) /* as the file says: any number (a cast to int of 1e30 would be undefined) */
            snprintf(t, sizeof t, "%g", pool);
        else
            snprintf(t, sizeof t, "%d", clients_of(r, ids, 64));
        kpi(b, t, "clients");
        kpi(b, r->strategy ? r->strategy : "\xe2\x80\x93", "strategy");
        fmt_secs(t, sizeof t, pretrain_seconds(r));
        kpi(b, t, "pre-training time");
        free(d);
    }
    if (r->kinds & K_FINETUNE) {
        FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
        int ne = epochs_dedup(r, d);
        double E = finetune_epochs_total(r);
        snprintf(t, sizeof t, "%g / %s", ne ? d[ne - 1].epoch : 0.0,
                 isfinite(E) ? (snprintf(u, sizeof u, "%g", E), u) : "?");
        kpi(b, t, "epochs");
        fmt_num(t, sizeof t, ne ? d[ne - 1].loss : NAN);
        kpi(b, ne ? t : "\xe2\x80\x93", "last epoch loss");
        fmt_pct(t, sizeof t, ne ? d[ne - 1].top1 : NAN);
        kpi(b, t, "last epoch train top-1");
        fmt_secs(t, sizeof t, finetune_seconds(r));
        kpi(b, t, "fine-tune time");
        free(d);
    }
    if (r->kinds & K_TEST) {
        fmt_pct(t, sizeof t, r->top1), kpi(b, t, "test top-1");
        fmt_pct(t, sizeof t, r->top5), kpi(b, t, "test top-5");
        fmt_pct(t, sizeof t, r->mca), kpi(b, t, "mean class accuracy");
        snprintf(t, sizeof t, "%d", r->nvideos), kpi(b, t, "test videos");
    }
    if (r->kinds & K_RETRIEVE)
        for (int k = 0; k < r->nk && k < 6; k++) {
            snprintf(u, sizeof u, "R@%d", r->ks[k]);
            fmt_pct(t, sizeof t, r->rk[k]);
            kpi(b, t, u);
        }
    sb_str(b, "</div>\n");
    if (r->checkpoint) {
        sb_str(b, "<p class=\"files\">tested checkpoint: ");
        html_escape(b, r->checkpoint);
        sb_str(b, "</p>\n");
    }
    if (r->ret_init) {
        sb_str(b, "<p class=\"files\">retrieval backbone: ");
        html_escape(b, r->ret_init);
        sb_str(b, "</p>\n");
    }
    if (r->nnotes) {
        sb_str(b, "<ul class=\"notes\">\n");
        for (int i = 0; i < r->nnotes; i++) {
            sb_str(b, "<li>");
            html_escape_cut(b, r->notes[i], 600);
            sb_str(b, "</li>\n");
        }
        if (r->nnotes_dropped) sb_printf(b, "<li>and %d more notes</li>\n", r->nnotes_dropped);
        sb_str(b, "</ul>\n");
    }
    if (r->kinds & K_PRETRAIN) section_pretrain(b, r, ri);
    if (r->kinds & K_FINETUNE) section_finetune(b, r, ri);
    if (r->kinds & K_TEST) section_test(b, r, ri);
    if (r->kinds & K_RETRIEVE) section_retrieve(b, r, ri);
    if (r->config) {
        sb_str(b, "<details class=\"config\" open><summary>Configuration (config.yaml)</summary>\n<pre>");
        html_escape(b, r->config);
        sb_str(b, "</pre></details>\n");
    }
    sb_str(b, "</section>\n");
}

/* ---------------------------------------------------------------- overview */

static void overview(StrBuf *b, Run *runs, int n) {
    char t[96], st[512];
    sb_str(b,
           "<section class=\"overview\">\n<h2>Summary</h2>\n<table class=\"t summary\">\n<tr><th>run</th><th>kind</th>"
           "<th>state</th><th>headline</th><th>time</th></tr>\n");
    const char *labels[4 * REPORT_MAX_RUNS];
    char lab[4 * REPORT_MAX_RUNS][96];
    double secs[4 * REPORT_MAX_RUNS];
    int scol[4 * REPORT_MAX_RUNS];
    int ns = 0, ntest = 0, nret = 0, nft = 0;
    for (int i = 0; i < n; i++) {
        Run *r = &runs[i];
        int complete = run_state(r, st, sizeof st);
        sb_printf(b, "<tr><td><a href=\"#run-%d\">", i);
        html_escape(b, run_name(r));
        sb_str(b, "</a></td><td>");
        badges(b, r->kinds);
        sb_printf(b, "</td><td class=\"%s\">", complete ? "ok" : "warn");
        html_escape(b, st);
        sb_str(b, "</td><td>");
        double total = 0;
        int any = 0;
        static const char *const stage[] = {"pre-training", "fine-tuning", "test", "retrieval"};
        double s4[4] = {r->kinds & K_PRETRAIN ? pretrain_seconds(r) : NAN,
                        r->kinds & K_FINETUNE ? finetune_seconds(r) : NAN, r->kinds & K_TEST ? r->test_seconds : NAN,
                        r->kinds & K_RETRIEVE ? r->ret_seconds : NAN};
        int want[4] = {r->kinds & K_PRETRAIN, r->kinds & K_FINETUNE, r->kinds & K_TEST, r->kinds & K_RETRIEVE};
        const char *sep = "";
        if (r->kinds & K_TEST) {
            fmt_pct(t, sizeof t, r->top1);
            sb_printf(b, "%stest top-1 %s", sep, t), sep = " \xc2\xb7 ";
            ntest++;
        }
        if (r->kinds & K_RETRIEVE && r->nk) {
            fmt_pct(t, sizeof t, r->rk[0]);
            sb_printf(b, "%sR@%d %s", sep, r->ks[0], t), sep = " \xc2\xb7 ";
            nret++;
        }
        if (r->kinds & K_FINETUNE) {
            FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
            int ne = epochs_dedup(r, d);
            if (ne) fmt_pct(t, sizeof t, d[ne - 1].top1), sb_printf(b, "%strain top-1 %s", sep, t), sep = " \xc2\xb7 ";
            nft += ne > 0;
            free(d);
        }
        if (r->kinds & K_PRETRAIN) {
            PtRound *d = xmalloc(sizeof *d * (size_t)(r->nrd + 1));
            int nr = rounds_dedup(r, d);
            if (nr) fmt_num(t, sizeof t, d[nr - 1].loss), sb_printf(b, "%sround loss %s", sep, t), sep = " \xc2\xb7 ";
            free(d);
        }
        sb_str(b, "</td><td>");
        for (int k = 0; k < 4; k++) {
            if (!want[k]) continue;
            if (isfinite(s4[k])) total += s4[k], any = 1;
            if (ns < 4 * REPORT_MAX_RUNS) {
                snprintf(lab[ns], sizeof lab[ns], "%.60s: %s", run_name(r), stage[k]);
                labels[ns] = lab[ns], scol[ns] = k == 3 ? 4 : k, secs[ns++] = s4[k];
            }
        }
        fmt_secs(t, sizeof t, any ? total : NAN);
        sb_printf(b, "%s</td></tr>\n", t);
    }
    sb_str(b, "</table>\n<div class=\"grid\">\n");
    if (ns > 1)
        svg_hbar_chart(b,
                       &(SvgChart){.id = "overview-time", .title = "Time per stage", .xlabel = "seconds", .unit = "s"},
                       labels, secs, scol, ns);
    if (ntest > 1) {
        const char *cats[REPORT_MAX_RUNS], *names[] = {"top-1", "top-5", "mean class accuracy"};
        double *v = xmalloc(sizeof(double) * 3 * (size_t)ntest);
        int j = 0;
        for (int i = 0; i < n; i++)
            if (runs[i].kinds & K_TEST) {
                cats[j] = run_name(&runs[i]);
                v[j] = runs[i].top1, v[ntest + j] = runs[i].top5, v[2 * ntest + j] = runs[i].mca;
                j++;
            }
        svg_bar_chart(b,
                      &(SvgChart){.id = "overview-test",
                                  .title = "Test accuracy by run",
                                  .ylabel = "accuracy",
                                  .percent = 1,
                                  .y_zero = 1},
                      cats, ntest, names, 3, v);
        free(v);
    }
    if (nret > 1) { /* categories: the k of the first run with values */
        const Run *first = NULL;
        for (int i = 0; i < n && !first; i++)
            if (runs[i].kinds & K_RETRIEVE && runs[i].nk) first = &runs[i];
        char cat[16][16];
        const char *cats[16], *names[REPORT_MAX_RUNS];
        double *v = xmalloc(sizeof(double) * 16 * (size_t)nret);
        for (int k = 0; k < first->nk; k++) snprintf(cat[k], sizeof cat[k], "R@%d", first->ks[k]), cats[k] = cat[k];
        int j = 0;
        for (int i = 0; i < n; i++) {
            const Run *r = &runs[i];
            if (!(r->kinds & K_RETRIEVE) || !r->nk) continue;
            names[j] = run_name(r);
            for (int k = 0; k < first->nk; k++) {
                v[(size_t)j * first->nk + k] = NAN;
                for (int q = 0; q < r->nk; q++)
                    if (r->ks[q] == first->ks[k]) v[(size_t)j * first->nk + k] = r->rk[q];
            }
            j++;
        }
        svg_bar_chart(b,
                      &(SvgChart){.id = "overview-recall",
                                  .title = "Retrieval recall by run",
                                  .ylabel = "recall",
                                  .percent = 1,
                                  .y_zero = 1},
                      cats, first->nk, names, nret, v);
        free(v);
    }
    if (nft > 1) {
        SvgSeries ss[REPORT_MAX_RUNS], sl[REPORT_MAX_RUNS];
        double *mem[REPORT_MAX_RUNS];
        int j = 0;
        for (int i = 0; i < n; i++) {
            const Run *r = &runs[i];
            if (!(r->kinds & K_FINETUNE)) continue;
            FtEpoch *d = xmalloc(sizeof *d * (size_t)(r->nep + 1));
            int ne = epochs_dedup(r, d);
            if (!ne) {
                free(d);
                continue;
            }
            double *m = xmalloc(sizeof(double) * 3 * (size_t)ne);
            for (int e = 0; e < ne; e++) m[e] = d[e].epoch, m[ne + e] = d[e].top1, m[2 * ne + e] = d[e].loss;
            ss[j] = (SvgSeries){.name = run_name(r), .x = m, .y = m + ne, .n = ne, .color = j};
            sl[j] = (SvgSeries){.name = run_name(r), .x = m, .y = m + 2 * ne, .n = ne, .color = j};
            mem[j++] = m;
            free(d);
        }
        svg_line_chart(b,
                       &(SvgChart){.id = "overview-ft-acc",
                                   .title = "Fine-tune train top-1 by run",
                                   .xlabel = "epoch",
                                   .ylabel = "top-1",
                                   .x_integer = 1,
                                   .percent = 1,
                                   .y_zero = 1,
                                   .log_ratio = -1,
                                   .fixed_y = 1,
                                   .ymax = 1},
                       ss, j);
        svg_line_chart(b,
                       &(SvgChart){.id = "overview-ft-loss",
                                   .title = "Fine-tune loss by run",
                                   .xlabel = "epoch",
                                   .ylabel = "loss",
                                   .x_integer = 1},
                       sl, j);
        for (int k = 0; k < j; k++) free(mem[k]);
    }
    sb_str(b, "</div>\n</section>\n");
}

/* ---------------------------------------------------------------- page */

static const char CSS[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f4f5f7;color:#222;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\n"
    "header{background:#1d2a3a;color:#fff;padding:18px 28px}\n"
    "header h1{margin:0;font-size:22px;font-weight:600}\n"
    "header p{margin:4px 0 0;color:#c9d3df;font-size:13px;word-break:break-all}\n"
    "main{max-width:1280px;margin:0 auto;padding:16px 20px 40px}\n"
    "section{background:#fff;border:1px solid #e1e4e8;border-radius:10px;padding:14px 18px;margin:16px 0;"
    "box-shadow:0 1px 2px rgba(0,0,0,.04)}\n"
    "h2{margin:0 0 6px;font-size:18px;word-break:break-all}\n"
    "h3{margin:18px 0 8px;font-size:15px;color:#333;border-bottom:1px solid #eee;padding-bottom:4px}\n"
    "h4{margin:14px 0 6px;font-size:14px}\n"
    ".badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 8px;margin-left:6px;border-radius:10px;"
    "background:#e8eaed;color:#333;vertical-align:middle}\n"
    ".badge.pretrain{background:#dbe9f6;color:#0b4a7d}.badge.finetune{background:#fde9cc;color:#7a4a00}\n"
    ".badge.test{background:#d5efe5;color:#0b5e40}.badge.retrieve{background:#f4dcea;color:#7a2458}\n"
    ".state{margin:2px 0;font-weight:500}.ok{color:#0b6e3f}.warn{color:#a35200}\n"
    ".files{margin:2px 0;color:#666;font-size:12px;word-break:break-all}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}\n"
    ".kpi{background:#f7f8fa;border:1px solid #e6e8eb;border-radius:8px;padding:8px 14px;min-width:120px}\n"
    ".kpi .v{font-size:20px;font-weight:600;color:#1d2a3a;word-break:break-all}.kpi .k{font-size:12px;color:#666}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px;align-items:start}\n"
    ".grid>figure.wide{grid-column:1/-1}\n"
    "figure{margin:0;background:#fff;border:1px solid #e6e8eb;border-radius:8px;padding:6px;overflow-x:auto}\n"
    "figure svg{display:block;max-width:100%;height:auto}\n"
    "figure.empty{min-height:120px}figure.empty .title{font-weight:600;font-size:14px;padding:6px 8px}\n"
    ".nodata{color:#999;text-align:center;margin:28px 0;font-style:italic}\n"
    ".note{font-size:12px;color:#a35200;padding:2px 8px}\n"
    "ul.notes{background:#fff8e6;border:1px solid #f3d9a4;border-radius:8px;padding:8px 8px 8px 28px;font-size:13px;"
    "word-break:break-word}\n"
    "table.t{border-collapse:collapse;font-size:13px;margin:6px 0;width:100%}\n"
    "table.t th,table.t td{border-bottom:1px solid #eceef1;padding:5px 8px;text-align:left;vertical-align:top;"
    "word-break:break-word}\n"
    "table.t th{background:#f7f8fa;font-weight:600}\n"
    "a{color:#0b5cad;text-decoration:none}\n"
    "details.config{margin-top:12px}details.config summary{cursor:pointer;font-weight:600;color:#333}\n"
    "details.config pre{background:#f7f8fa;border:1px solid #e6e8eb;border-radius:8px;padding:10px 14px;font-size:12px;"
    "column-width:22em;column-gap:2em;white-space:pre-wrap;word-break:break-all}\n"
    "footer{color:#888;font-size:12px;text-align:center;padding:10px}\n";

int report_render(const char *run_dir, StrBuf *b, char *err, size_t errlen) {
    if (!is_dir(run_dir)) {
        snprintf(err, errlen, "%s: no such folder", run_dir);
        return -1;
    }
    Runs rs;
    runs_find(run_dir, &rs);
    if (!rs.n) {
        runs_free(&rs);
        snprintf(err, errlen,
                 "%s: no run folder here or in its subfolders (down to 2 levels): none holds metrics.jsonl, "
                 "config.yaml, results.json, per_class.tsv, test_scores.npz or retrieval.json",
                 run_dir);
        return -1;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    sb_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
              "img-src data:\">\n<title>fedvssl report: ");
    html_escape(b, run_dir);
    sb_str(b, "</title>\n<style>\n");
    sb_str(b, CSS);
    sb_str(b, "</style>\n</head>\n<body>\n<header><h1>fedvssl report</h1><p>");
    html_escape(b, run_dir);
    sb_printf(b, " \xc2\xb7 %d run folder%s \xc2\xb7 generated %s</p></header>\n<main>\n", rs.n, rs.n == 1 ? "" : "s",
              when);
    if (rs.dropped)
        sb_printf(
            b, "<ul class=\"notes\"><li>%d more run folders were found and left out (at most %d per page)</li></ul>\n",
            rs.dropped, REPORT_MAX_RUNS);
    overview(b, rs.r, rs.n);
    for (int i = 0; i < rs.n; i++) section_run(b, &rs.r[i], i);
    sb_str(b, "</main>\n<footer>written by fedvssl report from the run files only; charts are inline SVG</footer>\n"
              "</body>\n</html>\n");
    int n = rs.n;
    runs_free(&rs);
    return n;
}

int report_write_to(const char *run_dir, const char *out_path, char *err, size_t errlen) {
    StrBuf b = {0};
    int n = report_render(run_dir, &b, err, errlen);
    if (n < 0) {
        free(b.p);
        return -1;
    }
    char *path = out_path ? xstrdup(out_path) : path_join(run_dir, "report.html");
    AtomicFile af;
    int bad = atomic_open(&af, path);
    if (!bad && atomic_write(&af, b.p, b.n))
        atomic_abort(&af), bad = 1;
    else if (!bad)
        bad = atomic_commit(&af);
    if (bad) {
        snprintf(err, errlen, "%s: cannot write: %m", path);
        n = -1;
    }
    free(path), free(b.p);
    return n;
}

int report_write(const char *run_dir, char *err, size_t errlen) { return report_write_to(run_dir, NULL, err, errlen); }

void report_after_run(const char *run_dir, int quiet) {
    char err[1024];
    if (report_write(run_dir, err, sizeof err) < 0) {
        warnf("report not written: %s (the run itself is complete)", err);
        return;
    }
    if (!quiet) printf("report: %s/report.html\n", run_dir);
}
