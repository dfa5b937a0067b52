build-asan/src/io/json.o: src/io/json.c src/io/json.h \
 src/io/../core/util.h
src/io/json.h:
src/io/../core/util.h:
