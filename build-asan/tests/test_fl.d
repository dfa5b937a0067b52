build-asan/tests/test_fl.o: tests/test_fl.c tests/../src/core/state.h \
 tests/../src/core/util.h tests/../src/fl/strategy.h \
 tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/check.h
tests/../src/core/state.h:
tests/../src/core/util.h:
tests/../src/fl/strategy.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/check.h:
