build-asan/src/data/prepare.o: src/data/prepare.c src/data/prepare.h \
 src/data/../core/util.h src/data/../io/zip.h \
 src/data/../io/../core/util.h src/data/annotations.h src/data/fsutil.h \
 src/data/jpeg.h src/data/video.h
src/data/prepare.h:
src/data/../core/util.h:
src/data/../io/zip.h:
src/data/../io/../core/util.h:
src/data/annotations.h:
src/data/fsutil.h:
src/data/jpeg.h:
src/data/video.h:
