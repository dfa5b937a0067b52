build-asan/src/cmd/partition.o: src/cmd/partition.c \
 src/cmd/../core/args.h src/cmd/../core/util.h \
 src/cmd/../data/annotations.h src/cmd/../data/fsutil.h \
 src/cmd/../data/partition.h src/cmd/../data/annotations.h \
 src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/util.h:
src/cmd/../data/annotations.h:
src/cmd/../data/fsutil.h:
src/cmd/../data/partition.h:
src/cmd/../data/annotations.h:
src/cmd/commands.h:
