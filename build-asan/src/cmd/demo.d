build-asan/src/cmd/demo.o: src/cmd/demo.c src/cmd/../core/args.h \
 src/cmd/../core/util.h src/cmd/../data/annotations.h \
 src/cmd/../data/fsutil.h src/cmd/../data/loader.h \
 src/cmd/../data/partition.h src/cmd/../data/annotations.h \
 src/cmd/../data/prepare.h src/cmd/../data/synth.h src/cmd/../fl/fl.h \
 src/cmd/../fl/../data/loader.h src/cmd/../fl/../model/model.h \
 src/cmd/../fl/../model/../core/state.h \
 src/cmd/../fl/../model/../nn/backend.h \
 src/cmd/../fl/../model/../nn/ops.h src/cmd/../fl/../model/../nn/ops.h \
 src/cmd/../fl/strategy.h src/cmd/../model/model.h \
 src/cmd/../nn/backend.h src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/util.h:
src/cmd/../data/annotations.h:
src/cmd/../data/fsutil.h:
src/cmd/../data/loader.h:
src/cmd/../data/partition.h:
src/cmd/../data/annotations.h:
src/cmd/../data/prepare.h:
src/cmd/../data/synth.h:
src/cmd/../fl/fl.h:
src/cmd/../fl/../data/loader.h:
src/cmd/../fl/../model/model.h:
src/cmd/../fl/../model/../core/state.h:
src/cmd/../fl/../model/../nn/backend.h:
src/cmd/../fl/../model/../nn/ops.h:
src/cmd/../fl/../model/../nn/ops.h:
src/cmd/../fl/strategy.h:
src/cmd/../model/model.h:
src/cmd/../nn/backend.h:
src/cmd/commands.h:
