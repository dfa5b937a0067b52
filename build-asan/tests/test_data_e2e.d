build-asan/tests/test_data_e2e.o: tests/test_data_e2e.c \
 tests/../src/core/util.h tests/../src/data/annotations.h \
 tests/../src/data/fsutil.h tests/../src/data/image.h \
 tests/../src/data/jpeg.h tests/../src/data/loader.h \
 tests/../src/data/partition.h tests/../src/data/annotations.h \
 tests/../src/data/prepare.h tests/../src/data/synth.h \
 tests/../src/data/transforms.h tests/../src/data/../core/rng.h \
 tests/../src/io/zip.h tests/../src/io/../core/util.h tests/check.h
tests/../src/core/util.h:
tests/../src/data/annotations.h:
tests/../src/data/fsutil.h:
tests/../src/data/image.h:
tests/../src/data/jpeg.h:
tests/../src/data/loader.h:
tests/../src/data/partition.h:
tests/../src/data/annotations.h:
tests/../src/data/prepare.h:
tests/../src/data/synth.h:
tests/../src/data/transforms.h:
tests/../src/data/../core/rng.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/check.h:
