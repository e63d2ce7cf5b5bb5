# heartcheck — `make` builds build/heartcheck; `make test` builds and runs every test.
# Variants build into their own directory: O=build/asan SANITIZE=1 (ASan+UBSan, clang).

O ?= build
PREFIX ?= /usr/local
CC ?= cc
PKGS := libssl libcrypto libuv jansson libelf zlib libpcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
CPPFLAGS += -iquote src -D_GNU_SOURCE $(PKG_CFLAGS)
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SAN_FLAGS)
LDLIBS += $(PKG_LIBS) -ldl -lm

ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

LIB_SRCS := $(sort $(filter-out src/cli/main.c,$(wildcard src/*/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o)
LIB := $(O)/libheartcheck.a
BIN := $(O)/heartcheck
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
# Code shared by unit tests (scripted servers, fixtures): linked into every test binary.
TEST_SUPPORT_SRCS := $(sort $(wildcard tests/unit/support/*.c))
TEST_SUPPORT_OBJS := $(TEST_SUPPORT_SRCS:%.c=$(O)/obj/%.o)
TEST_HEADERS := $(wildcard tests/unit/*.h tests/unit/support/*.h)
TARGET_SRCS := $(sort $(wildcard tests/targets/*.c))
TARGET_BINS := $(TARGET_SRCS:tests/targets/%.c=$(O)/targets/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_O := build/fuzz
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_O)/%)

.PHONY: all test unit targets fuzz check-format format install clean
all: $(BIN) targets

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(O)/obj/src/cli/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(TEST_SUPPORT_OBJS): CPPFLAGS += -Itests/unit
$(TEST_SUPPORT_OBJS): $(TEST_HEADERS)
$(O)/tests/%: tests/unit/%.c $(LIB) $(TEST_SUPPORT_OBJS) $(TEST_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $< $(TEST_SUPPORT_OBJS) $(LIB) $(LDLIBS) -lcmocka -o $@

$(O)/targets/%: tests/targets/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $< $(LIB) $(LDLIBS) -lpcap -o $@

targets: $(TARGET_BINS)
unit: $(UNIT_BINS)

# libFuzzer targets: clang, ASan+UBSan, the library compiled again with coverage.
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -g -O1
$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) -c $< -o $@
$(FUZZ_O)/%: tests/fuzz/%.c $(LIB_SRCS:%.c=$(FUZZ_O)/obj/%.o)
	clang $(CPPFLAGS) -std=c11 $(WARN) -fsanitize=fuzzer,address,undefined -g -O1 $^ $(LDLIBS) -o $@
fuzz: $(FUZZ_BINS)

# The build uses every CPU; then every stage (tests/run-all.sh).
test:
	$(MAKE) -j$(shell nproc 2>/dev/null || echo 2) all unit
	./tests/run-all.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/heartcheck
	install -m 0644 docs/heartcheck.1 $(DESTDIR)$(PREFIX)/share/man/man1/heartcheck.1

FORMAT_FILES = $(wildcard src/*/*.[ch] tests/*/*.[ch] tests/unit/support/*.[ch])
check-format:
	clang-format --dry-run --Werror $(FORMAT_FILES)
format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(TEST_SUPPORT_OBJS:.o=.d) $(O)/obj/src/cli/main.d
