build-asan/src/nn/cpu/conv_bwdw_depth.o: src/nn/cpu/conv_bwdw_depth.c \
 src/nn/cpu/../../core/util.h src/nn/cpu/../ops.h
src/nn/cpu/../../core/util.h:
src/nn/cpu/../ops.h:
