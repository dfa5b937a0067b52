build-asan/tests/test_data_prepare.o: tests/test_data_prepare.c \
 tests/../src/core/util.h tests/../src/data/annotations.h \
 tests/../src/data/fsutil.h tests/../src/data/prepare.h \
 tests/../src/data/synth.h tests/check.h
tests/../src/core/util.h:
tests/../src/data/annotations.h:
tests/../src/data/fsutil.h:
tests/../src/data/prepare.h:
tests/../src/data/synth.h:
tests/check.h:
