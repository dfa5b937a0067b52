build-asan/tests/test_config.o: tests/test_config.c \
 tests/../src/core/config.h tests/../src/core/util.h \
 tests/../src/cmd/finetune_config.h tests/../src/cmd/../core/config.h \
 tests/../src/cmd/pretrain_config.h tests/check.h
tests/../src/core/config.h:
tests/../src/core/util.h:
tests/../src/cmd/finetune_config.h:
tests/../src/cmd/../core/config.h:
tests/../src/cmd/pretrain_config.h:
tests/check.h:
