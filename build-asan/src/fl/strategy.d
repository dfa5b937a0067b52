build-asan/src/fl/strategy.o: src/fl/strategy.c src/fl/strategy.h \
 src/fl/../core/util.h
src/fl/strategy.h:
src/fl/../core/util.h:
