build-asan/src/cmd/finetune_config.o: src/cmd/finetune_config.c \
 src/cmd/finetune_config.h src/cmd/../core/config.h
src/cmd/finetune_config.h:
src/cmd/../core/config.h:
