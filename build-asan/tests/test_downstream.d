build-asan/tests/test_downstream.o: tests/test_downstream.c \
 tests/../src/core/util.h tests/../src/data/annotations.h \
 tests/../src/data/fsutil.h tests/../src/io/ckpt.h tests/../src/io/npy.h \
 tests/../src/io/zip.h tests/../src/io/../core/util.h \
 tests/../src/io/npy.h tests/../src/model/downstream.h \
 tests/../src/model/../core/config.h tests/../src/model/model.h \
 tests/../src/model/../core/state.h tests/../src/model/../nn/backend.h \
 tests/../src/model/../nn/ops.h tests/../src/model/../nn/ops.h \
 tests/../src/model/evaluate.h tests/../src/model/../data/loader.h \
 tests/golden.h tests/check.h tests/detgen.h tests/../src/core/rng.h \
 tests/../src/core/state.h
tests/../src/core/util.h:
tests/../src/data/annotations.h:
tests/../src/data/fsutil.h:
tests/../src/io/ckpt.h:
tests/../src/io/npy.h:
tests/../src/io/zip.h:
tests/../src/io/../core/util.h:
tests/../src/io/npy.h:
tests/../src/model/downstream.h:
tests/../src/model/../core/config.h:
tests/../src/model/model.h:
tests/../src/model/../core/state.h:
tests/../src/model/../nn/backend.h:
tests/../src/model/../nn/ops.h:
tests/../src/model/../nn/ops.h:
tests/../src/model/evaluate.h:
tests/../src/model/../data/loader.h:
tests/golden.h:
tests/check.h:
tests/detgen.h:
tests/../src/core/rng.h:
tests/../src/core/state.h:
