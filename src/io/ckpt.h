/* Checkpoint files: reading every format a FedVSSL run meets into one list of arrays, and writing
 * the Flower baseline's round checkpoint (spec §3.8 / §3.8.1) and a PyTorch .pth (spec §4).
 * Formats read (spec §3.8):
 *   (a) the Flower baseline's round-<r>-weights.array.npz: arr_0.npy = pickled 0-d object array
 *       holding a flwr Parameters whose tensors are NPY blobs;
 *   (b) the authors' released checkpoints: arr_0.npy = object array of pickled ndarrays and NumPy
 *       scalars;
 *   (c) a plain npz of named numeric arrays (our native checkpoint, np.savez(**state)).
 * Pickles go through the safe VM of pickle.h: nothing in a file is ever executed. */
#ifndef FEDVSSL_CKPT_H
#define FEDVSSL_CKPT_H
#include <stddef.h>
#include <stdint.h>

#include "npy.h"

typedef struct {
    char *name;       /* NULL for unnamed list entries (formats a, b) */
    NpyType type;     /* NPY_F32, NPY_F64, NPY_I64 or NPY_I32 */
    int ndim;
    int64_t shape[NPY_MAXDIM];
    int64_t numel;
    void *data;       /* owned, C order, little-endian */
} CkptTensor;

typedef struct {
    int n;
    CkptTensor *t;
    char format[160]; /* "flwr Parameters (252 NPY blobs)", "object array of 126 ndarrays (authors' release)",
                       * "npz of 126 named arrays" */
} CkptList;

/* Reads any of the formats above. Returns 0, or -1 with "<path>: <problem>" in err (out is then empty). */
int ckpt_read(const char *path, CkptList *out, char *err, size_t errlen);
/* The same over a file's bytes held in memory; label names it in messages. */
int ckpt_read_mem(const uint8_t *data, size_t len, const char *label, CkptList *out, char *err, size_t errlen);
void ckpt_free(CkptList *l);

typedef struct {
    NpyType type; /* NPY_F32, NPY_F64, NPY_I64 (NPY_I32 too for flwr_round_write) */
    int ndim;
    const int64_t *shape;
    const void *data; /* C order, native (little-endian) */
} TensorRef;

/* Writes the Flower baseline's round checkpoint (a Parameters of n NPY blobs, byte layout of spec
 * §3.8.1) to path, streaming: the data is read twice (CRC-32, then write), never copied. Atomic:
 * a temp file, fsynced, renamed over path, then the directory fsynced. Returns 0, or -1 with
 * "<path>: <problem>" in err (path is then untouched). */
int flwr_round_write(const char *path, const TensorRef *t, int n, char *err, size_t errlen);

/* mmcv's checkpoint meta (the part its tools read): the epoch and iteration the checkpoint closes. */
typedef struct {
    int64_t epoch, iter;
} PthMeta;

/* Writes a PyTorch zip checkpoint that torch.load(path, weights_only=True) opens as
 * {'state_dict': OrderedDict(names[i] -> tensor i)}, or with meta as mmcv saves one,
 * {'meta': {'epoch': e, 'iter': i}, 'state_dict': ...} (members archive/data.pkl, archive/data/<i>,
 * archive/version, archive/byteorder; F32 -> FloatStorage, F64 -> DoubleStorage, I64 -> LongStorage).
 * Atomic like flwr_round_write. */
int pth_write(const char *path, const char *const *names, const TensorRef *t, int n, const PthMeta *meta, char *err,
              size_t errlen);

#endif
