build-asan/src/nn/cpu/backend_cpu.o: src/nn/cpu/backend_cpu.c \
 src/nn/cpu/../../core/util.h src/nn/cpu/../backend.h src/nn/cpu/../ops.h
src/nn/cpu/../../core/util.h:
src/nn/cpu/../backend.h:
src/nn/cpu/../ops.h:
