build-asan/src/nn/cpu/conv_dnnl.o: src/nn/cpu/conv_dnnl.c \
 src/nn/cpu/../../core/prof.h src/nn/cpu/../../core/util.h \
 src/nn/cpu/../../core/util.h src/nn/cpu/../ops.h
src/nn/cpu/../../core/prof.h:
src/nn/cpu/../../core/util.h:
src/nn/cpu/../../core/util.h:
src/nn/cpu/../ops.h:
