/* Coarse time accounting by op kind (fedvssl bench --profile). */
#ifndef FEDVSSL_PROF_H
#define FEDVSSL_PROF_H
#include "util.h"

typedef enum { PROF_CONV_FWD, PROF_CONV_BWD_DATA, PROF_CONV_BWD_WEIGHTS, PROF_BN, PROF_ELTWISE, PROF_HEAD, PROF_OPTIM, PROF_N } ProfCat;
extern __thread double prof_sec[PROF_N]; /* __thread: also C++ (the CUDA plugin reads ProfCat) */
extern const char *const prof_names[PROF_N];

#define PROF(cat, stmt)                     \
    do {                                    \
        double prof_t0_ = now_sec();        \
        stmt;                               \
        prof_sec[cat] += now_sec() - prof_t0_; \
    } while (0)
#endif
