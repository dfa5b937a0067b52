build-asan/tests/test_data_image.o: tests/test_data_image.c \
 tests/../src/core/util.h tests/../src/data/image.h tests/check.h
tests/../src/core/util.h:
tests/../src/data/image.h:
tests/check.h:
