build-asan/src/io/ckpt.o: src/io/ckpt.c src/io/ckpt.h src/io/npy.h \
 src/io/zip.h src/io/../core/util.h src/io/pickle.h
src/io/ckpt.h:
src/io/npy.h:
src/io/zip.h:
src/io/../core/util.h:
src/io/pickle.h:
