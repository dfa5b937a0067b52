build-asan/src/data/partition.o: src/data/partition.c \
 src/data/partition.h src/data/annotations.h src/data/../core/util.h \
 src/data/fsutil.h src/data/pyrandom.h
src/data/partition.h:
src/data/annotations.h:
src/data/../core/util.h:
src/data/fsutil.h:
src/data/pyrandom.h:
