build-asan/tests/test_state.o: tests/test_state.c \
 tests/../src/model/model.h tests/../src/model/../core/state.h \
 tests/../src/model/../nn/backend.h tests/../src/model/../nn/ops.h \
 tests/../src/model/../nn/ops.h tests/golden.h tests/../src/core/util.h \
 tests/../src/io/npy.h tests/../src/io/zip.h \
 tests/../src/io/../core/util.h tests/check.h tests/detgen.h \
 tests/../src/core/rng.h tests/../src/core/state.h
tests/../src/model/model.h:
tests/../src/model/../core/state.h:
tests/../src/model/../nn/backend.h:
tests/../src/model/../nn/ops.h:
tests/../src/model/../nn/ops.h:
tests/golden.h:
tests/../src/core/util.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/check.h:
tests/detgen.h:
tests/../src/core/rng.h:
tests/../src/core/state.h:
