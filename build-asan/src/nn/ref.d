build-asan/src/nn/ref.o: src/nn/ref.c src/nn/ops.h
src/nn/ops.h:
