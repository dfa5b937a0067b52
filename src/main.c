/* fedvssl: entry point and subcommand dispatch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "version.h" /* FEDVSSL_VERSION, written by the Makefile */

static const Command commands[] = {FEDVSSL_COMMANDS{NULL, NULL, NULL}};

static void usage(FILE *f) {
    fprintf(f, "usage: fedvssl <command> [options]\n\ncommands:\n");
    for (const Command *c = commands; c->name; c++) fprintf(f, "  %-10s %s\n", c->name, c->help);
    fprintf(f, "\nRun 'fedvssl <command> --help' for the options of a command; 'fedvssl --version'.\n"
               "Exit status: 0 done, 1 an error, bad options included (one line on stderr says what and where), 2 no or an unknown command.\n");
}

int main(int argc, char **argv) {
    /* over a file-size limit (ulimit -f) a write then fails with EFBIG and is reported, instead of the
     * process dying of SIGXFSZ */
    signal(SIGXFSZ, SIG_IGN);
    /* stdout into a file or a pipe (nohup, slurm, `> log`): a line at a time, so a killed run's log holds
     * everything it printed (full buffering lost up to 4 KB, every line of a short run) */
    if (!isatty(STDOUT_FILENO)) setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("fedvssl %s\n", FEDVSSL_VERSION);
        return 0;
    }
    for (const Command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name)) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "fedvssl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
