build-asan/src/data/image.o: src/data/image.c src/data/image.h \
 src/data/../core/util.h
src/data/image.h:
src/data/../core/util.h:
