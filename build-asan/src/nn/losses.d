build-asan/src/nn/losses.o: src/nn/losses.c src/nn/ops.h
src/nn/ops.h:
