build-asan/src/data/video.o: src/data/video.c src/data/video.h \
 src/data/../core/util.h
src/data/video.h:
src/data/../core/util.h:
