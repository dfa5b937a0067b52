build-asan/src/model/evaluate.o: src/model/evaluate.c \
 src/model/evaluate.h src/model/../data/loader.h src/model/model.h \
 src/model/../core/state.h src/model/../nn/backend.h \
 src/model/../nn/ops.h src/model/../nn/ops.h src/model/../core/util.h
src/model/evaluate.h:
src/model/../data/loader.h:
src/model/model.h:
src/model/../core/state.h:
src/model/../nn/backend.h:
src/model/../nn/ops.h:
src/model/../nn/ops.h:
src/model/../core/util.h:
