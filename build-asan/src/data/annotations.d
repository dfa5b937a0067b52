build-asan/src/data/annotations.o: src/data/annotations.c \
 src/data/annotations.h src/data/../core/util.h src/data/../io/json.h
src/data/annotations.h:
src/data/../core/util.h:
src/data/../io/json.h:
