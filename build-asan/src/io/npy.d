build-asan/src/io/npy.o: src/io/npy.c src/io/npy.h src/io/zip.h \
 src/io/../core/util.h
src/io/npy.h:
src/io/zip.h:
src/io/../core/util.h:
