build-asan/src/core/config.o: src/core/config.c src/core/config.h \
 src/core/util.h src/core/../io/json.h
src/core/config.h:
src/core/util.h:
src/core/../io/json.h:
