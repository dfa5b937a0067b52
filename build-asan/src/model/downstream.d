build-asan/src/model/downstream.o: src/model/downstream.c \
 src/model/downstream.h src/model/../core/config.h src/model/model.h \
 src/model/../core/state.h src/model/../nn/backend.h \
 src/model/../nn/ops.h src/model/../nn/ops.h src/model/../core/rng.h \
 src/model/../core/util.h src/model/../data/annotations.h \
 src/model/../data/fsutil.h src/model/../data/loader.h \
 src/model/../io/ckpt.h src/model/../io/npy.h src/model/../io/zip.h \
 src/model/../io/../core/util.h src/model/../io/json.h \
 src/model/../io/npy.h src/model/evaluate.h src/model/train.h
src/model/downstream.h:
src/model/../core/config.h:
src/model/model.h:
src/model/../core/state.h:
src/model/../nn/backend.h:
src/model/../nn/ops.h:
src/model/../nn/ops.h:
src/model/../core/rng.h:
src/model/../core/util.h:
src/model/../data/annotations.h:
src/model/../data/fsutil.h:
src/model/../data/loader.h:
src/model/../io/ckpt.h:
src/model/../io/npy.h:
src/model/../io/zip.h:
src/model/../io/../core/util.h:
src/model/../io/json.h:
src/model/../io/npy.h:
src/model/evaluate.h:
src/model/train.h:
