build-asan/tests/test_pretrain.o: tests/test_pretrain.c \
 tests/../src/core/util.h tests/../src/data/fsutil.h \
 tests/../src/io/ckpt.h tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/../src/io/npy.h tests/golden.h \
 tests/check.h tests/detgen.h tests/../src/core/rng.h \
 tests/../src/core/state.h
tests/../src/core/util.h:
tests/../src/data/fsutil.h:
tests/../src/io/ckpt.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/../src/io/npy.h:
tests/golden.h:
tests/check.h:
tests/detgen.h:
tests/../src/core/rng.h:
tests/../src/core/state.h:
