build-asan/src/cmd/bench.o: src/cmd/bench.c src/cmd/../core/args.h \
 src/cmd/../core/prof.h src/cmd/../core/util.h src/cmd/../core/rng.h \
 src/cmd/../core/util.h src/cmd/../model/model.h \
 src/cmd/../model/../core/state.h src/cmd/../model/../nn/backend.h \
 src/cmd/../model/../nn/ops.h src/cmd/../model/../nn/ops.h \
 src/cmd/../nn/backend.h src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/prof.h:
src/cmd/../core/util.h:
src/cmd/../core/rng.h:
src/cmd/../core/util.h:
src/cmd/../model/model.h:
src/cmd/../model/../core/state.h:
src/cmd/../model/../nn/backend.h:
src/cmd/../model/../nn/ops.h:
src/cmd/../model/../nn/ops.h:
src/cmd/../nn/backend.h:
src/cmd/commands.h:
