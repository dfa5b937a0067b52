build-asan/src/cmd/test.o: src/cmd/test.c src/cmd/../core/config.h \
 src/cmd/../model/downstream.h src/cmd/../model/../core/config.h \
 src/cmd/../model/model.h src/cmd/../model/../core/state.h \
 src/cmd/../model/../nn/backend.h src/cmd/../model/../nn/ops.h \
 src/cmd/../model/../nn/ops.h src/cmd/commands.h
src/cmd/../core/config.h:
src/cmd/../model/downstream.h:
src/cmd/../model/../core/config.h:
src/cmd/../model/model.h:
src/cmd/../model/../core/state.h:
src/cmd/../model/../nn/backend.h:
src/cmd/../model/../nn/ops.h:
src/cmd/../model/../nn/ops.h:
src/cmd/commands.h:
