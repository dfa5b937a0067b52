/* Settings several commands share, each defined once here (name, default, bounds, help): a key table lists
 * CFGK_DEVICE(&x.device) where it would spell the entry out. */
#ifndef FEDVSSL_COMMON_KEYS_H
#define FEDVSSL_COMMON_KEYS_H
#include "../core/config.h"

#define CFGK_DEVICE(dst) {"device", CFG_STR, dst, "cpu", NULL, 0, 0, "cpu, cuda or cuda:N"}
#define CFGK_PRECISION(dst)                                                                                          \
    {"precision", CFG_ENUM, dst, "fp32", "fp32|tf32|bf16", 0, 0,                                                     \
     "math precision: fp32; tf32 (tensor cores in convolutions and matrix products; CUDA); bf16 (convolutions "     \
     "on bf16 inputs, fp32 accumulation, weights and updates; CPUs with AVX-512 BF16, GPUs from Ampere on)"}
/* key: "data.threads" in the run commands' tables, "threads" in the tools' */
#define CFGK_THREADS(key, dst) {key, CFG_INT, dst, "0", NULL, 0, 4096, "loader and compute threads (0 = all cores)"}
#define CFGK_FAST_DECODE(dst)                                                                                        \
    {"data.fast_decode", CFG_BOOL, dst, "false", NULL, 0, 0,                                                         \
     "decode JPEGs DCT-scaled (faster, pixels differ from the reference)"}
#define CFGK_MAX_BAD(dst)                                                                                            \
    {"data.max_bad_fraction", CFG_FLOAT, dst, "0.01", NULL, 0, 1,                                                    \
     "unreadable samples (damaged frame packs) are skipped up to this fraction of the list; more stop the run"}
/* the clip side of training (pretrain, finetune) and of evaluating a trained run (test, retrieve) */
#define CFGK_CROP_TRAIN(dst)                                                                                         \
    {"data.crop", CFG_INT, dst, "112", NULL, 32, 512,                                                                \
     "clip side in pixels (112 = the reference; smaller scales every size of the pipeline, for small runs)"}
#define CFGK_CROP_EVAL(dst)                                                                                          \
    {"data.crop", CFG_INT, dst, "0", NULL, 0, 512,                                                                   \
     "clip side in pixels: 0 = the size the checkpoint's run was trained at (its config.yaml; 112 = the "          \
     "reference's without one); another size than the run's is refused"}
#define CFGK_QUIET(dst) {"quiet", CFG_BOOL, dst, "false", NULL, 0, 0, "no progress output"}

#endif
