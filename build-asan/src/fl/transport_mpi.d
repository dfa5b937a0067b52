build-asan/src/fl/transport_mpi.o: src/fl/transport_mpi.c \
 src/fl/../core/util.h src/fl/../data/fsutil.h src/fl/fl.h \
 src/fl/../data/loader.h src/fl/../model/model.h \
 src/fl/../model/../core/state.h src/fl/../model/../nn/backend.h \
 src/fl/../model/../nn/ops.h src/fl/../model/../nn/ops.h \
 src/fl/strategy.h /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h \
 /usr/lib/x86_64-linux-gnu/openmpi/include/mpi_portable_platform.h
src/fl/../core/util.h:
src/fl/../data/fsutil.h:
src/fl/fl.h:
src/fl/../data/loader.h:
src/fl/../model/model.h:
src/fl/../model/../core/state.h:
src/fl/../model/../nn/backend.h:
src/fl/../model/../nn/ops.h:
src/fl/../model/../nn/ops.h:
src/fl/strategy.h:
/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h:
/usr/lib/x86_64-linux-gnu/openmpi/include/mpi_portable_platform.h:
