build-asan/tests/test_ckpt.o: tests/test_ckpt.c tests/../src/core/util.h \
 tests/../src/io/ckpt.h tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/../src/io/pickle.h tests/check.h
tests/../src/core/util.h:
tests/../src/io/ckpt.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/../src/io/pickle.h:
tests/check.h:
