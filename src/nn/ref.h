/* Plain-C references of the ops for the tests (ref.c): naive loops over plain NCDHW, no blocking. */
#ifndef FEDVSSL_REF_H
#define FEDVSSL_REF_H
#include "ops.h"

void ref_conv3d_forward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *b, float *y);
/* dx overwritten; dw, db accumulated; any may be NULL */
void ref_conv3d_backward(const ConvSpec *cs, Dims in, const float *x, const float *w, const float *dy, float *dx,
                         float *dw, float *db);

#endif
