build-asan/src/fl/server.o: src/fl/server.c src/fl/../core/rng.h \
 src/fl/../core/util.h src/fl/../data/fsutil.h src/fl/../io/ckpt.h \
 src/fl/../io/npy.h src/fl/../io/zip.h src/fl/../io/../core/util.h \
 src/fl/../io/json.h src/fl/../io/npy.h src/fl/../model/train.h \
 src/fl/../model/../data/loader.h src/fl/../model/model.h \
 src/fl/../model/../core/state.h src/fl/../model/../nn/backend.h \
 src/fl/../model/../nn/ops.h src/fl/../model/../nn/ops.h src/fl/fl.h \
 src/fl/../data/loader.h src/fl/../model/model.h src/fl/strategy.h
src/fl/../core/rng.h:
src/fl/../core/util.h:
src/fl/../data/fsutil.h:
src/fl/../io/ckpt.h:
src/fl/../io/npy.h:
src/fl/../io/zip.h:
src/fl/../io/../core/util.h:
src/fl/../io/json.h:
src/fl/../io/npy.h:
src/fl/../model/train.h:
src/fl/../model/../data/loader.h:
src/fl/../model/model.h:
src/fl/../model/../core/state.h:
src/fl/../model/../nn/backend.h:
src/fl/../model/../nn/ops.h:
src/fl/../model/../nn/ops.h:
src/fl/fl.h:
src/fl/../data/loader.h:
src/fl/../model/model.h:
src/fl/strategy.h:
