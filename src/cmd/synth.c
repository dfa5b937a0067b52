#include "../core/util.h"
#include "commands.h"
int cmd_synth(int argc, char **argv) { (void)argc, (void)argv; die("synth: not implemented yet"); }
