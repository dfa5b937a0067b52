build-asan/src/cmd/prepare.o: src/cmd/prepare.c src/cmd/../core/args.h \
 src/cmd/../core/util.h src/cmd/../data/prepare.h src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/util.h:
src/cmd/../data/prepare.h:
src/cmd/commands.h:
