build-asan/src/data/synth.o: src/data/synth.c src/data/synth.h \
 src/data/../core/util.h src/data/fsutil.h src/data/../core/rng.h \
 src/data/video.h
src/data/synth.h:
src/data/../core/util.h:
src/data/fsutil.h:
src/data/../core/rng.h:
src/data/video.h:
