# mxsurvey — build, test, install.  `make` leaves ./mxsurvey in the repository root.
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
BUILD    ?= build
SANFLAGS ?=
PKGS     := libevent libevent_openssl openssl getdns libcurl sqlite3 yaml-0.1 libidn2 libpsl jansson libsystemd

CFLAGS   ?= -O2 -g
override CFLAGS += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS)) $(SANFLAGS)
override LDFLAGS += $(SANFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lm
TEST_LDLIBS := $(shell pkg-config --libs cmocka)
# The scanner allocates and frees thousands of small blocks per domain (JSON trees, DNS replies,
# SQLite pages); jemalloc does that with about a fifth less CPU than glibc's malloc here (bench/
# README.md). Sanitizer builds use the sanitizer's allocator instead (MALLOC_LIB empty).
MALLOC_LIB ?= -ljemalloc

COMMON_SRC := $(wildcard common/*.c)
CHECKS_SRC := $(wildcard checks/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CORE_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC) $(CHECKS_SRC))
SCHEMA_SQL := $(sort $(wildcard schema/[0-9]*.sql))
DAEMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRC)) $(BUILD)/gen/schema_sql.o
# tests/unit: pure code (common/, checks/); tests/daemon: daemon modules (store, config, ...).
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
DTEST_SRC  := $(wildcard tests/daemon/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC)) \
              $(patsubst tests/daemon/%.c,$(BUILD)/tests/%,$(DTEST_SRC))
CONF_BIN   := $(BUILD)/tests/spf_conformance
# tests/fuzz: libFuzzer harnesses, built by clang with ASan and UBSan into build-fuzz (fuzz-build).
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
PROGRAM    := $(if $(filter build,$(BUILD)),mxsurvey,$(BUILD)/mxsurvey)

.PHONY: all test test-sanitized unit conformance integration asan install clean world-up world-down bench
.PHONY: fuzz fuzz-build fuzz-bins
all: $(PROGRAM)

$(PROGRAM): $(BUILD)/daemon/main.o $(BUILD)/libmxdaemon.a $(BUILD)/libmxcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MALLOC_LIB)

$(BUILD)/libmxcore.a: $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libmxdaemon.a: $(DAEMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/gen/schema_sql.c: $(SCHEMA_SQL) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $@ $(SCHEMA_SQL)

$(BUILD)/gen/schema_sql.o: $(BUILD)/gen/schema_sql.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libmxcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/daemon/%.o $(BUILD)/libmxdaemon.a $(BUILD)/libmxcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

$(CONF_BIN): $(BUILD)/tests/conformance/spf_conformance.o $(BUILD)/libmxcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Kept: a harness rebuilt after a library change need not recompile.
.SECONDARY: $(patsubst %.c,$(BUILD)/%.o,$(FUZZ_SRC))
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libmxdaemon.a $(BUILD)/libmxcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# `make test`: unit tests, the SPF conformance suite, the fuzz corpus regression and smoke run,
# then integration tests against the offline test world (skipped with a notice where network
# namespaces are not available).
test: $(PROGRAM) $(UNIT_BIN) $(if $(wildcard tests/conformance/spf_conformance.c),$(CONF_BIN)) fuzz-build
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run

test-sanitized: $(PROGRAM) $(UNIT_BIN) $(if $(wildcard tests/conformance/spf_conformance.c),$(CONF_BIN)) fuzz-build
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run --sanitized

unit: $(UNIT_BIN)
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run --unit

conformance: $(CONF_BIN)
	$(CONF_BIN) ../shared/conformance/spf/rfc7208-tests.yml

integration: $(PROGRAM)
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run --integration

asan:
	$(MAKE) BUILD=build-asan CC=$(CC) CFLAGS="-O1 -g -fno-omit-frame-pointer" MALLOC_LIB= \
		SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" test-sanitized

# `make fuzz FUZZ_SECONDS=N`: build the harnesses, run each N seconds (FUZZ_TARGETS="a b"
# limits the run to those); tests/fuzz/README.md.
fuzz: fuzz-build
	tests/fuzz/run --fuzz $(FUZZ_SECONDS) build-fuzz

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		MALLOC_LIB= SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fsanitize=fuzzer-no-link" fuzz-bins

fuzz-bins: $(FUZZ_BIN)

world-up:
	tests/world/up
world-down:
	tests/world/down

bench: $(PROGRAM)
	scripts/bench

install: $(PROGRAM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mxsurvey/schema
	install -m 0755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/mxsurvey
	install -m 0644 config/*.yaml config/*.conf $(DESTDIR)$(PREFIX)/share/mxsurvey/
	install -m 0644 schema/*.sql $(DESTDIR)$(PREFIX)/share/mxsurvey/schema/
	install -d $(DESTDIR)/lib/systemd/system
	for unit in systemd/*.service; do \
		sed 's|@PREFIX@|$(PREFIX)|g' $$unit > $(DESTDIR)/lib/systemd/system/$$(basename $$unit); done

clean:
	rm -rf build build-asan build-fuzz mxsurvey

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
