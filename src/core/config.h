/* Hydra-style configuration of the commands (pretrain, finetune, test, retrieve, demo): a table of
 * typed keys with dotted names ("strategy.mix_coeff"), filled from the built-in defaults, then a YAML
 * file (config=FILE.yaml), then key=value overrides in argv order; written back as YAML for the run
 * directory. Errors are one line naming the file:line or the key=value and what is allowed. */
#ifndef FEDVSSL_CONFIG_H
#define FEDVSSL_CONFIG_H
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* CFG_IGNORED: a key of the original's configuration files that has no meaning here: any scalar value is
 * accepted and dropped (help says why), config_cli names each one seen on stderr; dst may be NULL. */
typedef enum { CFG_INT, CFG_FLOAT, CFG_BOOL, CFG_STR, CFG_ENUM, CFG_FLOATS, CFG_IGNORED } CfgType;

#define CFG_FLOATS_MAX 16
typedef struct {
    int n;
    double v[CFG_FLOATS_MAX];
} CfgFloats;

typedef struct {
    const char *key;     /* dotted, [a-z0-9_] components: "strategy.mix_coeff"; "config" is reserved */
    CfgType type;
    void *dst;           /* CFG_INT, CFG_BOOL: int *; CFG_FLOAT: double *; CFG_STR, CFG_ENUM: const char **
                          * (CFG_ENUM: always one of the choices); CFG_FLOATS: CfgFloats * */
    const char *def;     /* the default as text: "0.9", "true", "[60, 120]", "" (strings: taken literally) */
    const char *choices; /* CFG_ENUM: "fedvssl|fedavg"; NULL otherwise */
    double min, max;     /* numeric bounds (every element of a list), checked only when min < max:
                          * leave both 0 for none; use e.g. {1, INT_MAX} or {0, HUGE_VAL} for one side */
    const char *help;
} CfgKey;

/* Parses the command line argv[1..] (argv[0] is the command's name, as main passes it): the defaults,
 * then the YAML file named by config=FILE (also --config=FILE, --config FILE), then the overrides in
 * argv order (later wins). An override is key=value, --key=value or --key value (a bool key takes
 * the next argument only when it is a bool word: --key alone means true); '_' and '-' are the same
 * in key names. Arguments after "--", or that are not
 * options, are positional: up to max_pos of them are stored in pos[] (*npos gets the count; pos and
 * npos may be NULL when max_pos is 0), more are an error.
 * Returns 0; 1 when -h/--help was given (nothing else is parsed: print config_print_help); or -1 with
 * one message in err, e.g. "conf/base.yaml:12: unknown key 'strategy.mixcoeff' (did you mean
 * 'strategy.mix_coeff'?)", "rounds=-1: must be >= 1", "transport=tcp: allowed values are inproc, mpi".
 * Strings are copied: they live until config_free(). */
int config_parse_pos(const CfgKey *keys, int nkeys, int argc, char **argv, const char **pos, int max_pos, int *npos,
                     char *err, size_t errlen);
int config_parse(const CfgKey *keys, int nkeys, int argc, char **argv, char *err, size_t errlen);

/* For commands: config_parse_pos, but --help prints the help to stdout and exits 0, and an error
 * ends in die("<cmd>: <message>"). Returns the number of positional arguments. */
int config_cli(const char *cmd, const char *synopsis, const CfgKey *keys, int nkeys, int argc, char **argv,
               const char **pos, int max_pos);

/* The steps of config_parse, for callers that compose their own (and for tests and fuzzers).
 * config_set_defaults also checks the table (names, duplicates, defaults within the choices and
 * bounds) and fails with "internal: ..." on a bad one. The YAML functions apply the file's values on
 * top of the current ones; label names the text in messages ("conf/base.yaml"). */
int config_set_defaults(const CfgKey *keys, int nkeys, char *err, size_t errlen);
int config_set(const CfgKey *keys, int nkeys, const char *key, const char *value, char *err, size_t errlen);
int config_load_yaml(const CfgKey *keys, int nkeys, const char *path, char *err, size_t errlen);
int config_parse_yaml_text(const CfgKey *keys, int nkeys, const char *text, size_t len, const char *label, char *err,
                           size_t errlen);

/* One setting of a YAML file by its dotted name (nested mappings; "data.crop"), without a key table: the file can
 * be any command's config.yaml. Returns 1 with the scalar in value, 0 when the file has no such key, -1 when it
 * cannot be read or is not valid YAML. */
int config_yaml_lookup(const char *path, const char *key, char *value, size_t n);
int config_yaml_lookup_text(const char *text, size_t len, const char *key, char *value, size_t n);

/* The resolved configuration as YAML: nested mappings from the dotted keys, keys in table order
 * (a group appears where its first key is), strings double-quoted, floats always with a '.'. */
char *config_to_yaml(const CfgKey *keys, int nkeys); /* malloc'ed */
int config_write_yaml(const CfgKey *keys, int nkeys, const char *path); /* atomic; 0 or -1 (errno) */

/* The keys whose values differ between two tables of one layout (filling two structs): "key=new (the run has
 * old)", comma-separated, into *text (malloc'ed, "" when none); keys named in ignore (NULL-terminated; an entry
 * ending in '.' names a group) are not compared. Returns the count. */
int config_diff(const CfgKey *was, const CfgKey *now, int nkeys, const char *const *ignore, char **text);

/* The end of a command's table function: copies the local array keys into k (when not NULL), returns its length. */
#define CFG_TABLE_RETURN(keys, k) return ((k) ? (void)memcpy((k), (keys), sizeof(keys)) : (void)0), (int)(sizeof(keys) / sizeof *(keys))

/* Every key with its type, bounds or allowed values, default and help. */
void config_print_help(FILE *f, const char *cmd, const char *synopsis, const CfgKey *keys, int nkeys);

/* Frees every string the module copied; string values of parsed tables are invalid afterwards. */
void config_free(void);

#endif
