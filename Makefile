# fedvssl build. `make` builds the program and the tests; `make test` runs the tests.
# The CUDA backend is a plugin (libfedvssl_cuda.so, loaded on --device cuda), built where nvcc is found.
CC      ?= gcc
OPT     ?= -O3 -march=native
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra $(OPT) -fopenmp -MMD -MP
# Video data: FFmpeg libraries (decode/encode) and libjpeg-turbo. VIDEO=0 builds without FFmpeg
# (synth and prepare then say so), e.g. for a GPU machine that lacks it.
# Recursive (=) so that `make deps demo` looks them up after deps installed them.
VIDEO     ?= 1
ifeq ($(VIDEO),1)
DATA_PKGS  = libavformat libavcodec libswscale libavutil libjpeg
DATA_LIBS  = $(shell pkg-config --libs $(DATA_PKGS) 2>/dev/null || echo -lavformat -lavcodec -lswscale -lavutil -ljpeg)
DATA_FLAGS = $(shell pkg-config --cflags $(DATA_PKGS) 2>/dev/null)
else
DATA_LIBS  = -ljpeg
DATA_FLAGS = -DFEDVSSL_NO_VIDEO
endif
# MPI transport (transport=mpi): built where OpenMPI's mpicc is found (MPI=0 turns it off).
MPI      ?= 1
MPICC     = $(if $(filter 1,$(MPI)),$(shell command -v mpicc 2>/dev/null))
MPI_FLAGS = $(if $(MPICC),-DFEDVSSL_MPI $(shell $(MPICC) --showme:compile))
MPI_LIBS  = $(if $(MPICC),$(shell $(MPICC) --showme:link))
LDLIBS   = -ldnnl $(DATA_LIBS) $(MPI_LIBS) -lyaml -lz -lm -lpthread -ldl
CFLAGS  += $(DATA_FLAGS) $(MPI_FLAGS) $(if $(filter 0,$(MPI)),-DFEDVSSL_MPI_OFF)
LDFLAGS += -fopenmp -rdynamic
# Sanitizer flags for compiling and linking (make sanitize, make test-tsan set them; empty otherwise).
SAN     ?=
CFLAGS  += $(SAN)
LDFLAGS += $(SAN)
BUILD   := build
comma   := ,

SRC      := $(shell find src -name '*.c' ! -name main.c | sort)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)

# CUDA backend: built when nvcc is found (CUDA=0 turns it off), Hopper (sm_90) machine code, as a
# plugin that the program loads only for --device cuda: CPU runs never map the CUDA libraries.
CUDA ?= 1
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
ifeq ($(CUDA),1)
ifneq ($(NVCC),)
CUDA_HOME   := $(abspath $(dir $(NVCC))..)
CU_SRC      := $(shell find src -name '*.cu' | sort)
CU_OBJ      := $(CU_SRC:%.cu=$(BUILD)/%.o)
CUDA_PLUGIN := $(BUILD)/libfedvssl_cuda.so
CFLAGS      += -DFEDVSSL_CUDA
endif
endif
TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

BENCH_SRC := $(wildcard bench/*.c)
BENCHES  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

all: $(BUILD)/fedvssl $(TESTS) $(CUDA_PLUGIN)

bench: $(BENCHES)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libfedvssl.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# What this build found (compiler flags and libraries: MPI, CUDA, FFmpeg): rewritten only when it changes, and
# every object depends on it, so installing OpenMPI later and running make again rebuilds with it.
$(BUILD)/features: FORCE
	@mkdir -p $(BUILD); f='$(CC) $(CFLAGS) $(LDLIBS) $(NVCC)'; [ "$$(cat $@ 2>/dev/null)" = "$$f" ] || echo "$$f" > $@

$(BUILD)/%.o: %.c $(BUILD)/features
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu $(BUILD)/features
	@mkdir -p $(dir $@)
	$(NVCC) -arch=sm_90 -O3 -std=c++17 -Xcompiler -Wall,-Wextra,-fPIC -MMD -MP -c $< -o $@

$(CUDA_PLUGIN): $(CU_OBJ)
	$(NVCC) -shared -o $@ $^ -L$(CUDA_HOME)/lib64 -Xlinker -rpath,$(CUDA_HOME)/lib64 -lcudnn -lcublas -lcudart

# test_cuda calls the plugin's functions directly
$(BUILD)/tests/test_cuda: $(BUILD)/tests/test_cuda.o $(BUILD)/libfedvssl.a $(CUDA_PLUGIN)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(BUILD)/tests/test_cuda.o $(BUILD)/libfedvssl.a $(if $(CUDA_PLUGIN),-L$(BUILD) -lfedvssl_cuda -Wl$(comma)-rpath$(comma)'$$ORIGIN/..' -lstdc++) $(LDLIBS) -o $@

$(BUILD)/libfedvssl.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^

# fedvssl --version: the release and the commit it was built from; version.h changes only when they do.
VERSION := 0.9.0
$(shell mkdir -p $(BUILD) && v='#define FEDVSSL_VERSION "$(VERSION) ($(shell git rev-parse --short HEAD 2>/dev/null || echo "no git")$(shell git diff --quiet HEAD 2>/dev/null || echo ", modified"))"'; \
  [ "$$(cat $(BUILD)/version.h 2>/dev/null)" = "$$v" ] || echo "$$v" > $(BUILD)/version.h)
$(BUILD)/src/main.o: private CFLAGS += -I$(BUILD)

$(BUILD)/fedvssl: $(BUILD)/src/main.o $(BUILD)/libfedvssl.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libfedvssl.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Debian packages the build and the tests need (installs only what is missing).
# OpenMPI is the distributed engine (transport=mpi), so it comes with the rest.
DEPS := build-essential pkg-config libdnnl-dev zlib1g-dev libyaml-dev \
        libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libjpeg62-turbo-dev libopenmpi-dev openmpi-bin
deps:
	@missing=$$(for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends $$missing; \
	fi

test: all
	@bash tests/run.sh $(BUILD)/tests

demo: $(BUILD)/fedvssl
	$(BUILD)/fedvssl demo

# Fuzzers (clang's libFuzzer + ASan/UBSan) for the parsers of outside data; not part of `make test`. The library
# sources they need are compiled once (no FFmpeg, no MPI), each tests/fuzz/fuzz_<name>.c links against them.
# `make fuzz-ci` runs every fuzzer FUZZ_SECONDS over its seed corpus (tests/fuzz/corpus/<name>/) and fails on
# any finding; tests/fuzz/regress/ holds the inputs of past findings (replayed by tests/test_fuzz_regress.c).
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
# -O2 rather than libFuzzer's usual -O1: fuzz_overrides ran 1.6x faster, fuzz_framepack the same
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -DFEDVSSL_NO_VIDEO -g -O2 -fno-omit-frame-pointer -fopenmp \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wall -Wextra
FUZZ_SRC     := $(filter-out src/nn/% src/model/% src/cmd/% src/fl/% src/downstream/%,$(SRC)) src/cmd/pretrain_config.c src/cmd/finetune_config.c
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 15

# Pixel loops do not branch on the input: comparison tracing there guides nothing and made fuzz_framepack ~3x
# slower (perf: __sanitizer_cov_trace_cmp* 65 % of its time). Edge coverage stays.
FUZZ_NO_CMP  := $(FUZZ_DIR)/obj/src/data/image.o $(FUZZ_DIR)/obj/src/data/transforms.o $(FUZZ_DIR)/fuzz_framepack
$(FUZZ_NO_CMP): FUZZ_EXTRA := -fno-sanitize-coverage=trace-cmp

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_EXTRA) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libfuzzed.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libfuzzed.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_EXTRA) -fsanitize=fuzzer -MMD -MP $< $(FUZZ_DIR)/libfuzzed.a -ljpeg -lyaml -lz -lm -lpthread -o $@

fuzz: $(FUZZERS)

fuzz-ci: fuzz
	@bash tests/fuzz/ci.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# Sanitizers: the library, the program and every test rebuilt instrumented into a folder of their own (CUDA off:
# nvcc's objects would not be instrumented; oneDNN, libjpeg, FFmpeg and OpenMPI are not either). RELIABILITY.md
# has the outcome. `make sanitize`: ASan + UBSan (every UB report is fatal) over the whole suite;
# FEDVSSL_TEST_SCALE=small shrinks the costliest tests (see tests/run.sh). `make test-tsan`: ThreadSanitizer over
# the loader tests and the federated simulation (tests/tsan.sh: clang, LLVM's OpenMP with its TSan annotations).
NPROC      := $(shell nproc 2>/dev/null || echo 2)
# float-cast-overflow (a NaN or out-of-range double converted to int) is named: GCC's -fsanitize=undefined
# leaves it out, and fuzz_report found two such conversions only because the fuzzers are built with clang.
ASAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow \
              -fno-omit-frame-pointer
sanitize:
	$(MAKE) -j$(NPROC) BUILD=build-asan CUDA=0 OPT="-O1 -g -march=native" SAN="$(ASAN_FLAGS)" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	FEDVSSL_TEST_SCALE=small bash tests/run.sh build-asan/tests

test-tsan:
	$(MAKE) -j$(NPROC) BUILD=build-tsan CC=clang CUDA=0 MPI=0 OPT="-O1 -g -march=native" SAN="-fsanitize=thread -fno-omit-frame-pointer" \
	  build-tsan/fedvssl build-tsan/tests/test_data_e2e build-tsan/tests/test_data_badvideo
	@bash tests/tsan.sh build-tsan

clean:
	rm -rf $(BUILD) build-asan build-tsan

FORCE:
.PHONY: all bench deps test demo clean fuzz fuzz-ci sanitize test-tsan FORCE
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
