#include "../core/util.h"
#include "commands.h"
int cmd_prepare(int argc, char **argv) { (void)argc, (void)argv; die("prepare: not implemented yet"); }
