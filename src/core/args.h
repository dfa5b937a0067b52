/* Command-line options of every subcommand: --name value, --name=value, Hydra-style name=value;
 * '_' and '-' are the same in names (--json_path as in the reference's scripts). */
#ifndef FEDVSSL_ARGS_H
#define FEDVSSL_ARGS_H

typedef enum { OPT_STR, OPT_INT, OPT_FLOAT, OPT_FLAG } OptType;
typedef struct {
    const char *name; /* without dashes, e.g. "lr" */
    OptType type;
    void *dst;        /* const char **, int *, double *, int * */
    const char *help;
} Opt;

/* Parses argv[1..]; an unknown option, a missing value or a malformed number ends in die().
 * --help prints the synopsis (which may go on over several lines) and the options, and exits 0. */
void args_parse(int argc, char **argv, const char *cmd, const char *synopsis, const Opt *opts, int nopts);

#endif
