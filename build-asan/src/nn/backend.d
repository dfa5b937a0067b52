build-asan/src/nn/backend.o: src/nn/backend.c src/nn/backend.h \
 src/nn/ops.h src/nn/../core/util.h
src/nn/backend.h:
src/nn/ops.h:
src/nn/../core/util.h:
