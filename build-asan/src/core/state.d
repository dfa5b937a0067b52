build-asan/src/core/state.o: src/core/state.c src/core/state.h \
 src/core/../io/npy.h src/core/../io/zip.h src/core/../io/../core/util.h \
 src/core/util.h
src/core/state.h:
src/core/../io/npy.h:
src/core/../io/zip.h:
src/core/../io/../core/util.h:
src/core/util.h:
