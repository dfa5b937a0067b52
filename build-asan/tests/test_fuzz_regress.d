build-asan/tests/test_fuzz_regress.o: tests/test_fuzz_regress.c \
 tests/../src/core/config.h tests/../src/core/util.h \
 tests/../src/data/jpeg.h tests/../src/io/ckpt.h tests/../src/io/npy.h \
 tests/../src/io/zip.h tests/../src/io/../core/util.h \
 tests/../src/io/npy.h tests/../src/io/pickle.h tests/check.h
tests/../src/core/config.h:
tests/../src/core/util.h:
tests/../src/data/jpeg.h:
tests/../src/io/ckpt.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/../src/io/npy.h:
tests/../src/io/pickle.h:
tests/check.h:
