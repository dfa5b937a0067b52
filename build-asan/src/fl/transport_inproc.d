build-asan/src/fl/transport_inproc.o: src/fl/transport_inproc.c \
 src/fl/../core/util.h src/fl/fl.h src/fl/../data/loader.h \
 src/fl/../model/model.h src/fl/../model/../core/state.h \
 src/fl/../model/../nn/backend.h src/fl/../model/../nn/ops.h \
 src/fl/../model/../nn/ops.h src/fl/strategy.h
src/fl/../core/util.h:
src/fl/fl.h:
src/fl/../data/loader.h:
src/fl/../model/model.h:
src/fl/../model/../core/state.h:
src/fl/../model/../nn/backend.h:
src/fl/../model/../nn/ops.h:
src/fl/../model/../nn/ops.h:
src/fl/strategy.h:
