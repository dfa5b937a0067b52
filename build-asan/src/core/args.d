build-asan/src/core/args.o: src/core/args.c src/core/args.h \
 src/core/util.h
src/core/args.h:
src/core/util.h:
