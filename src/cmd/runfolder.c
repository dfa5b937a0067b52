/* A command pointed at a run folder that already has a config.yaml continues that run (pretrain resume= or
 * out=, finetune out=). The folder describes its own checkpoints, so its settings cannot change silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "../core/fsutil.h"
#include "../io/json.h"
#include "../io/runlog.h"
#include "commands.h"

int run_folder_settings(const char *run, const char *cmd, const CfgKey *now, CfgKey *was, int nkeys,
                        const char *const *ignore, int allow, const char *unit, int done) {
    char *cfg = path_join(run, "config.yaml"), err[1024];
    if (!is_file(cfg)) return free(cfg), 1; /* a new run */
    if (config_set_defaults(was, nkeys, err, sizeof err) || config_load_yaml(was, nkeys, cfg, err, sizeof err))
        die("%s: %s (the run's own settings cannot be read)", cfg, err);
    char *diff;
    int n = config_diff(was, now, nkeys, ignore, &diff);
    if (n && !allow)
        die("%s continues the run in %s, whose settings differ: %s. A run folder keeps the settings its checkpoints "
            "were made with: continue with them, start another out=, or add allow_changes=true to continue with these "
            "(the run's config.yaml is then kept beside the new one and the change is logged in metrics.jsonl)",
            cmd, run, diff);
    /* the marker in metrics.jsonl: records after it come from this continuation */
    RunEvent e;
    ev_begin(&e, "continue");
    ev_str(&e, "command", cmd);
    char after[48];
    snprintf(after, sizeof after, "after_%s", unit);
    if (done >= 0) ev_int(&e, after, done);
    ev_num(&e, "time", (double)time(NULL), -1), ev_str(&e, "settings_changed", diff);
    RunLog log;
    if (runlog_open(&log, run, "metrics.jsonl", 0, err, sizeof err)) die("%s", err);
    runlog_event(&log, &e);
    runlog_close(&log);
    int rewrite = 0;
    if (n) { /* allowed: the settings so far stay beside the new ones */
        char name[64];
        snprintf(name, sizeof name, "config.until-%s-%d.yaml", unit, done < 0 ? 0 : done);
        char *keep = path_join(run, name);
        if (rename(cfg, keep)) die("%s: cannot rename to %s: %m", cfg, keep);
        warnf("%s: continuing with changed settings (%s); the run's earlier settings are in %s", run, diff, keep);
        free(keep);
        rewrite = 1;
    }
    free(diff), free(cfg);
    return rewrite;
}
