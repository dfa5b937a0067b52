build-asan/src/model/model.o: src/model/model.c src/model/model.h \
 src/model/../core/state.h src/model/../nn/backend.h \
 src/model/../nn/ops.h src/model/../nn/ops.h src/model/../core/prof.h \
 src/model/../core/util.h src/model/../core/rng.h \
 src/model/../core/util.h
src/model/model.h:
src/model/../core/state.h:
src/model/../nn/backend.h:
src/model/../nn/ops.h:
src/model/../nn/ops.h:
src/model/../core/prof.h:
src/model/../core/util.h:
src/model/../core/rng.h:
src/model/../core/util.h:
