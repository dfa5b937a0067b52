build-asan/src/io/pickle.o: src/io/pickle.c src/io/pickle.h
src/io/pickle.h:
