build-asan/src/cmd/pretrain_config.o: src/cmd/pretrain_config.c \
 src/cmd/pretrain_config.h src/cmd/../core/config.h
src/cmd/pretrain_config.h:
src/cmd/../core/config.h:
