/* fedvssl report: the HTML report of a run folder, or of a folder of run folders (see report/report.h). */
#include <stdio.h>

#include "../core/config.h"
#include "../core/util.h"
#include "../report/report.h"
#include "commands.h"

int cmd_report(int argc, char **argv) {
    const char *out = "";
    int quiet = 0;
    const CfgKey keys[] = {
        {"out", CFG_STR, &out, "", NULL, 0, 0, "where to write the page (\"\" = <run dir>/report.html)"},
        {"quiet", CFG_BOOL, &quiet, "false", NULL, 0, 0, "print nothing on success"},
    };
    const char *pos[1];
    int np =
        config_cli("report",
                   "<run dir> [out=FILE.html]\n"
                   "Writes <run dir>/report.html: one self-contained page (inline SVG charts, no script, no network)\n"
                   "of the run folder and of every run folder below it down to 2 levels (a demo root with\n"
                   "pretrain/, finetune_*/, retrieve_*/): training curves, test accuracy, confusion matrix,\n"
                   "retrieval R@k, time per stage, the resolved configuration. Reads only the run's files.",
                   keys, (int)(sizeof keys / sizeof *keys), argc, argv, pos, 1);
    if (np != 1) die("report: give the run folder: fedvssl report <run dir> (see --help)");
    char err[1024];
    int n = report_write_to(pos[0], out[0] ? out : NULL, err, sizeof err);
    if (n < 0) die("report: %s", err);
    if (!quiet) {
        if (out[0])
            printf("wrote %s (%d run folder%s)\n", out, n, n == 1 ? "" : "s");
        else
            printf("wrote %s/report.html (%d run folder%s)\n", pos[0], n, n == 1 ? "" : "s");
    }
    config_free();
    return 0;
}
