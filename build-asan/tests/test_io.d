build-asan/tests/test_io.o: tests/test_io.c tests/../src/io/npy.h \
 tests/../src/io/zip.h tests/../src/io/../core/util.h tests/check.h
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/check.h:
