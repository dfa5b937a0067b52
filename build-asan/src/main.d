build-asan/src/main.o: src/main.c src/cmd/commands.h
src/cmd/commands.h:
