build-asan/tests/test_data_decode.o: tests/test_data_decode.c \
 tests/../src/core/util.h tests/../src/data/annotations.h \
 tests/../src/data/fsutil.h tests/../src/data/image.h \
 tests/../src/data/jpeg.h tests/../src/data/loader.h \
 tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/../src/io/zip.h tests/check.h
tests/../src/core/util.h:
tests/../src/data/annotations.h:
tests/../src/data/fsutil.h:
tests/../src/data/image.h:
tests/../src/data/jpeg.h:
tests/../src/data/loader.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/../src/io/zip.h:
tests/check.h:
