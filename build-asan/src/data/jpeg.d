build-asan/src/data/jpeg.o: src/data/jpeg.c src/data/jpeg.h \
 src/data/../core/util.h
src/data/jpeg.h:
src/data/../core/util.h:
