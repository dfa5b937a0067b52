/* A model state (core/state.h) as a NumPy .npz: one array per entry, named by its state-dict key. */
#ifndef FEDVSSL_STATE_NPZ_H
#define FEDVSSL_STATE_NPZ_H
#include "../core/state.h"

/* Load entries from a NumPy .npz (one array per key). Every key of s must be present with the right
 * shape unless allow_missing; mismatches end in die() naming the file and the key. Returns the
 * number of entries loaded. If prefix_filter is non-NULL only keys starting with it are loaded. */
int state_load_npz(State *s, const char *path, int allow_missing, const char *prefix_filter);
/* Write every entry (only those starting with prefix_filter if non-NULL) to an .npz; die() on failure. */
void state_save_npz(const State *s, const char *path, const char *prefix_filter);

#endif
