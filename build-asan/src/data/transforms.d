build-asan/src/data/transforms.o: src/data/transforms.c \
 src/data/transforms.h src/data/../core/rng.h src/data/../core/util.h \
 src/data/image.h
src/data/transforms.h:
src/data/../core/rng.h:
src/data/../core/util.h:
src/data/image.h:
