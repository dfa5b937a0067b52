build-asan/src/cmd/pretrain.o: src/cmd/pretrain.c \
 src/cmd/../core/config.h src/cmd/../core/util.h src/cmd/../data/fsutil.h \
 src/cmd/../fl/fl.h src/cmd/../fl/../data/loader.h \
 src/cmd/../fl/../model/model.h src/cmd/../fl/../model/../core/state.h \
 src/cmd/../fl/../model/../nn/backend.h \
 src/cmd/../fl/../model/../nn/ops.h src/cmd/../fl/../model/../nn/ops.h \
 src/cmd/../fl/strategy.h src/cmd/../nn/ops.h src/cmd/commands.h \
 src/cmd/pretrain_config.h
src/cmd/../core/config.h:
src/cmd/../core/util.h:
src/cmd/../data/fsutil.h:
src/cmd/../fl/fl.h:
src/cmd/../fl/../data/loader.h:
src/cmd/../fl/../model/model.h:
src/cmd/../fl/../model/../core/state.h:
src/cmd/../fl/../model/../nn/backend.h:
src/cmd/../fl/../model/../nn/ops.h:
src/cmd/../fl/../model/../nn/ops.h:
src/cmd/../fl/strategy.h:
src/cmd/../nn/ops.h:
src/cmd/commands.h:
src/cmd/pretrain_config.h:
