build-asan/tests/test_cuda.o: tests/test_cuda.c tests/golden.h \
 tests/../src/core/util.h tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/check.h tests/detgen.h \
 tests/../src/core/rng.h tests/../src/core/state.h
tests/golden.h:
tests/../src/core/util.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/check.h:
tests/detgen.h:
tests/../src/core/rng.h:
tests/../src/core/state.h:
