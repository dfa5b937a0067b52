build-asan/src/model/train.o: src/model/train.c src/model/train.h \
 src/model/../data/loader.h src/model/model.h src/model/../core/state.h \
 src/model/../nn/backend.h src/model/../nn/ops.h src/model/../nn/ops.h \
 src/model/../core/util.h
src/model/train.h:
src/model/../data/loader.h:
src/model/model.h:
src/model/../core/state.h:
src/model/../nn/backend.h:
src/model/../nn/ops.h:
src/model/../nn/ops.h:
src/model/../core/util.h:
