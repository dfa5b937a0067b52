build-asan/src/nn/cpu/ops_cpu.o: src/nn/cpu/ops_cpu.c \
 src/nn/cpu/../../core/rng.h src/nn/cpu/../../core/util.h \
 src/nn/cpu/../ops.h src/nn/cpu/../roi_bilinear.h
src/nn/cpu/../../core/rng.h:
src/nn/cpu/../../core/util.h:
src/nn/cpu/../ops.h:
src/nn/cpu/../roi_bilinear.h:
