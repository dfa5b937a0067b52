build-asan/tests/test_data_transforms.o: tests/test_data_transforms.c \
 tests/../src/core/util.h tests/../src/data/image.h \
 tests/../src/data/transforms.h tests/../src/data/../core/rng.h \
 tests/check.h
tests/../src/core/util.h:
tests/../src/data/image.h:
tests/../src/data/transforms.h:
tests/../src/data/../core/rng.h:
tests/check.h:
