build-asan/src/data/pyrandom.o: src/data/pyrandom.c src/data/pyrandom.h
src/data/pyrandom.h:
