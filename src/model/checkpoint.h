/* Model states on disk: the backbone of any pre-trained checkpoint (ours, the Flower baseline's, the authors'),
 * whole TSN states, fine-tune epoch checkpoints, and PyTorch .pth files of a state.
 *
 * Fine-tune checkpoint <out>/epoch_<e>.npz (plain np.load by name, written atomically, only the
 * newest kept): every state-dict entry (float32, num_batches_tracked int64), "momentum.<key>" for
 * every trainable entry (the SGD buffer), "meta.epoch" and "meta.steps" (int64: epochs and training
 * steps done; steps is also where the per-step dropout masks continue, Model.dropout_step), "meta.json"
 * (uint8 bytes of a JSON object: format, classes, seed, batch, lr). Resuming restores all of it, so a
 * run stopped after any epoch and continued ends with the uninterrupted run's weights bit for bit
 * (same seed, batch and threads). */
#ifndef FEDVSSL_CHECKPOINT_H
#define FEDVSSL_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>

#include "../io/ckpt.h"
#include "model.h"

/* Takes the backbone of a checkpoint into m (call model_upload_state afterwards):
 *  - an npz of named arrays (our round-<r>.npz and epoch_<e>.npz, np.savez of a state dict): every
 *    backbone.* entry present, by name;
 *  - the Flower baseline's round-<r>-weights.array.npz or the authors' object-array release (one
 *    pickled arr_0, read through the safe pickle subset): the first 120 list entries, by position, as
 *    the reference's finetune_preprocess.py pairs them (spec §4; of a 252-entry compat file, the first
 *    half).
 * float64 counters are converted. Dies naming the file: unreadable, a wrong shape, no backbone entry
 * at all, too short a list. Returns the number taken; *of (may be NULL) gets the model's backbone
 * entry count; how (may be NULL) a few words on what was read. */
int model_load_backbone(Model *m, const char *path, int *of, char *how, size_t howlen);
/* Classes of a TSN checkpoint: rows of its cls_head.fc_cls.weight (dies naming the file if absent). */
int checkpoint_num_classes(const char *path);
/* A partial backbone is more often a wrong file than a wish: fewer than `of` entries taken is said on stderr, and
 * fewer than half dies unless allow. */
void checkpoint_check_partial(const char *init, int taken, int of, int allow);
/* Every state entry of m from the npz at path, all required (dies naming the file and the entry). */
void model_load_state(Model *m, const char *path);

/* Newest e of the <dir>/epoch_<e>.npz files (0 if none). */
int finetune_newest_epoch(const char *dir);
char *finetune_checkpoint_path(const char *dir, int epoch);
/* Older epoch_<e>.npz and .pth than keep are removed (the reference keeps 1). */
void finetune_prune_checkpoints(const char *dir, int keep);
/* The epoch checkpoint above: m's state, the momentum buffer mom (laid out like m->st), epoch, steps, meta_json. */
void finetune_save_checkpoint(const Model *m, const float *mom, const char *path, int epoch, int64_t steps,
                              const char *meta_json);
/* Model state and momentum of a checkpoint; returns its epoch, *steps its training steps. Warns when the file was
 * written with another seed or batch (the continued run then differs from an uninterrupted one). */
int finetune_load_checkpoint(Model *m, float *mom, const char *path, int64_t *steps, int seed, int batch);

/* A model state as a PyTorch .pth (names and order of the state dict; int64 counters), with mmcv's meta when
 * given: export's intended file and finetune's epoch_<e>.pth. Returns 0, or -1 with err set. */
int state_write_pth(const State *s, const char *pth, const PthMeta *meta, char *err, size_t errlen);

#endif
