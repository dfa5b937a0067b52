build-asan/src/data/fsutil.o: src/data/fsutil.c src/data/fsutil.h \
 src/data/../core/util.h
src/data/fsutil.h:
src/data/../core/util.h:
