build-asan/tests/test_data_partition.o: tests/test_data_partition.c \
 tests/../src/core/util.h tests/../src/data/annotations.h \
 tests/../src/data/partition.h tests/../src/data/annotations.h \
 tests/../src/data/pyrandom.h tests/check.h
tests/../src/core/util.h:
tests/../src/data/annotations.h:
tests/../src/data/partition.h:
tests/../src/data/annotations.h:
tests/../src/data/pyrandom.h:
tests/check.h:
