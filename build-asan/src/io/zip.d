build-asan/src/io/zip.o: src/io/zip.c src/io/zip.h src/io/../core/util.h
src/io/zip.h:
src/io/../core/util.h:
