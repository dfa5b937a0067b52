build-asan/src/cmd/synth.o: src/cmd/synth.c src/cmd/../core/args.h \
 src/cmd/../core/util.h src/cmd/../data/synth.h src/cmd/commands.h
src/cmd/../core/args.h:
src/cmd/../core/util.h:
src/cmd/../data/synth.h:
src/cmd/commands.h:
