build-asan/src/cmd/grad.o: src/cmd/grad.c src/cmd/../core/args.h \
 src/cmd/../core/util.h src/cmd/../io/npy.h src/cmd/../io/zip.h \
 src/cmd/../io/../core/util.h src/cmd/../model/model.h \
 src/cmd/../model/../core/state.h src/cmd/../model/../nn/backend.h \
 src/cmd/../model/../nn/ops.h src/cmd/../model/../nn/ops.h \
 src/cmd/../nn/backend.h src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/util.h:
src/cmd/../io/npy.h:
src/cmd/../io/zip.h:
src/cmd/../io/../core/util.h:
src/cmd/../model/model.h:
src/cmd/../model/../core/state.h:
src/cmd/../model/../nn/backend.h:
src/cmd/../model/../nn/ops.h:
src/cmd/../model/../nn/ops.h:
src/cmd/../nn/backend.h:
src/cmd/commands.h:
