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
# The commit `mxsurvey --version` and campaign snapshots name: empty outside git; a build from an
# exported tree (the Debian package test) passes it in the environment.
MXSURVEY_GIT ?= $(shell git describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null)

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

.PHONY: all test test-sanitized unit conformance integration asan install uninstall clean world-up world-down bench man
.PHONY: fuzz fuzz-build fuzz-bins
all: $(PROGRAM) man

# Manual pages: scdoc sources in man/, built into $(BUILD)/man/.
MAN_SRC    := $(wildcard man/*.scd)
MAN_PAGES  := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRC))
man: $(MAN_PAGES)
$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@

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

# Rewritten only when the commit changed, so that a build rebuilds version.o alone.
$(BUILD)/gen/version_git.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define MXSURVEY_GIT "$(MXSURVEY_GIT)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/daemon/version.o: $(BUILD)/gen/version_git.h
$(BUILD)/daemon/version.o: override CFLAGS += -I$(BUILD)
FORCE:

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

# `make test`: unit tests, the SPF conformance suites (golang-blitiri-go-spf-dev), the fuzz corpus
# regression and smoke run,
# then integration tests against the offline test world (skipped with a notice where network
# namespaces are not available).
test: $(PROGRAM) man $(UNIT_BIN) $(if $(wildcard tests/conformance/spf_conformance.c),$(CONF_BIN)) fuzz-build
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run

test-sanitized: $(PROGRAM) man $(UNIT_BIN) $(if $(wildcard tests/conformance/spf_conformance.c),$(CONF_BIN)) fuzz-build
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run --sanitized

unit: $(UNIT_BIN)
	@BUILD=$(BUILD) PROGRAM=$(PROGRAM) tests/run --unit

SPF_SUITES ?= /usr/share/gocode/src/blitiri.com.ar/go/spf/testdata
conformance: $(CONF_BIN)
	tests/conformance/selftest $(CONF_BIN)
	$(CONF_BIN) -x tests/conformance/spf-expected-differences.txt $(SPF_SUITES)/*.yml

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

# `make install` / `make uninstall`: PREFIX (default /usr/local) and DESTDIR (staging root, as
# the Debian package's build uses). The units go to SYSTEMDUNITDIR with @PREFIX@ replaced.
SYSTEMDUNITDIR ?= /lib/systemd/system
SHAREDIR   = $(PREFIX)/share/mxsurvey
DOCDIR     = $(PREFIX)/share/doc/mxsurvey
COMPLDIR   = $(PREFIX)/share/bash-completion/completions
DATA_FILES := config/mxsurvey.yaml config/scoring.yaml config/unbound-mxsurvey.conf
UNIT_FILES := $(wildcard systemd/*.service)
EXAMPLES   := scripts/slurm-array.sh scripts/k8s-indexed-job.yaml

install: $(PROGRAM) man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHAREDIR)/schema $(DESTDIR)$(COMPLDIR) \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/mxsurvey
	install -m 0644 $(DATA_FILES) $(DESTDIR)$(SHAREDIR)/
	install -m 0644 $(SCHEMA_SQL) schema/result.schema.json $(DESTDIR)$(SHAREDIR)/schema/
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 completion/mxsurvey $(DESTDIR)$(COMPLDIR)/mxsurvey
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	for unit in $(UNIT_FILES); do \
		sed 's|@PREFIX@|$(PREFIX)|g' $$unit > $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$unit) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$unit) || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mxsurvey $(DESTDIR)$(COMPLDIR)/mxsurvey
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/,$(notdir $(DATA_FILES)))
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/schema/,$(notdir $(SCHEMA_SQL)) result.schema.json)
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(filter %.1,$(MAN_PAGES))))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(filter %.5,$(MAN_PAGES))))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNIT_FILES)))
	-rmdir $(DESTDIR)$(SHAREDIR)/schema $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz mxsurvey

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
