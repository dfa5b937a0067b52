build-asan/src/data/loader.o: src/data/loader.c src/data/loader.h \
 src/data/../core/util.h src/data/../io/zip.h \
 src/data/../io/../core/util.h src/data/annotations.h src/data/fsutil.h \
 src/data/image.h src/data/jpeg.h src/data/../core/rng.h \
 src/data/transforms.h
src/data/loader.h:
src/data/../core/util.h:
src/data/../io/zip.h:
src/data/../io/../core/util.h:
src/data/annotations.h:
src/data/fsutil.h:
src/data/image.h:
src/data/jpeg.h:
src/data/../core/rng.h:
src/data/transforms.h:
