/* The subcommand table: each src/cmd/<name>.c defines cmd_<name>. */
#ifndef FEDVSSL_COMMANDS_H
#define FEDVSSL_COMMANDS_H

typedef int (*CommandFn)(int argc, char **argv);
typedef struct {
    const char *name;
    CommandFn fn;
    const char *help;
} Command;

/* One line per command: {"name", cmd_name, "help"}, */
#define FEDVSSL_COMMANDS

#endif
