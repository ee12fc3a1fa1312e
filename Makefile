# Llambo: make builds the library, the commands and the tests.
#   make            build/ (optimised)
#   make SAN=1      build-san/ (AddressSanitizer + UndefinedBehaviorSanitizer)
#   make M32=1      build32/ (-m32, what hosted Inferno's emu links with)
#   make PLAIN=1    build-plain/ (no SIMD kernel tier: the plain C build of any machine)
#   make CROSS=aarch64-linux-gnu   build-aarch64/ (a cross build; tests/cross.sh runs its tests under qemu)
#   make TSAN=1     build-tsan/ (ThreadSanitizer: the server and API tests, tests/all.sh runs them)
#   make FUZZ=1 fuzz  build-fuzz/fuzz/ (clang's libFuzzer harnesses of tests/fuzz, with ASan+UBSan)
#   make test       builds and runs the tests (also with SAN=1 / M32=1 / PLAIN=1 / TSAN=1)

CC ?= cc
OPT ?= -O2
WARN = -Wall -Wextra -Wno-unused-parameter
# -ffp-contract=off: float expressions as written, no fused multiply-adds the code does not ask for
# (the quantizers must give ggml's bytes; GCC's ISO C mode does this by itself, clang's default does not)
BASEFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fPIC -fvisibility=hidden -pthread -g -ffp-contract=off
B = build
ARCH =
ifneq ($(CROSS),)
# For the machine of the triple CROSS, with Debian's multiarch libraries (libpcre2-dev:arm64 ...).
# clang by default: Debian's gcc-aarch64-linux-gnu cannot be installed beside gcc-multilib (-m32);
# CC=aarch64-linux-gnu-gcc works as well where it is installed.
CC = clang --target=$(CROSS)
B = build-$(firstword $(subst -, ,$(CROSS)))
endif
ifeq ($(M32),1)
B = build32
ARCH = -m32 -msse2 -mfpmath=sse
# Debian's libpcre2-dev:i386, installed or unpacked by scripts/deps.sh into .deps/i386
PCRE32 = $(firstword $(wildcard .deps/i386/usr/lib/i386-linux-gnu/libpcre2-8.a /usr/lib/i386-linux-gnu/libpcre2-8.a))
endif
ifeq ($(SAN),1)
B := $(B)-san
OPT = -O1
ARCH += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
ifeq ($(FUZZ),1)
# every object instrumented for libFuzzer's coverage; the harnesses link with -fsanitize=fuzzer
B = build-fuzz
CC = clang
OPT = -O1
ARCH += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
ifeq ($(TSAN),1)
B = build-tsan
OPT = -O1
ARCH += -fsanitize=thread -fno-omit-frame-pointer
endif

# Kernel tiers (src/quant/kernels.h): the files *_<tier>.c of the tiers of the machine the
# build is for, each compiled with its tier's flags; every other file is plain C, and
# tiers.c lists the tiers named by -DLB_TIER_<tier>.
TIERS_ALL = avx2 avx512 neon dotprod
TIERS_x86 = avx2 avx512
TIERS_aarch64 = neon dotprod
MACHINE := $(shell $(CC) -dumpmachine)
TIERS = $(if $(filter x86_64-% i386-% i486-% i586-% i686-%,$(MACHINE)),$(TIERS_x86)) \
	$(if $(filter aarch64-%,$(MACHINE)),$(TIERS_aarch64))
ifeq ($(PLAIN),1)
B := $(B)-plain
TIERS =
endif
TIER_FLAGS_avx2 = -mavx2 -mfma -mf16c
TIER_FLAGS_avx512 = $(TIER_FLAGS_avx2) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
TIER_FLAGS_neon =
TIER_FLAGS_dotprod = -march=armv8.2-a+dotprod
# the dotprod tier is the neon tier's files built again with the dot-product extension
TIER_SRC_dotprod = neon

CFLAGS_ALL = $(BASEFLAGS) $(OPT) $(WARN) $(ARCH) -Iinclude $(TIERS:%=-DLB_TIER_%) $(CFLAGS)
PCRELIB = $(if $(PCRE32),$(PCRE32),-lpcre2-8)
LIBS = $(PCRELIB) -lm -pthread
LDFLAGS_ALL = $(ARCH) $(LDFLAGS)
# what one command links beyond libllambo (the library itself stays free of them)
LIBS_llambo = -ljansson

LIBSRC = $(filter-out src/styx/% $(foreach t,$(filter-out $(TIERS),$(TIERS_ALL)),%_$(t).c),$(wildcard src/*/*.c))
STYXSRC = $(wildcard src/styx/*.c)
# the objects of a tier built from another tier's files (TIER_SRC_<tier>)
TIER_COPIES = $(foreach t,$(TIERS),$(if $(TIER_SRC_$(t)),\
	$(patsubst %_$(TIER_SRC_$(t)).c,$(B)/%_$(t).o,$(filter %_$(TIER_SRC_$(t)).c,$(LIBSRC)))))
LIBOBJ = $(LIBSRC:%.c=$(B)/%.o) $(TIER_COPIES)
STYXOBJ = $(STYXSRC:%.c=$(B)/%.o)
CMDS = $(patsubst cmd/%/,%,$(dir $(wildcard cmd/*/main.c)))
TESTSRC = $(wildcard tests/test_*.c)
ifeq ($(TSAN),1)
# the threads are in the server and the API: their tests, not the kernels' (slow under TSan)
TESTSRC = tests/test_api.c tests/test_styx.c tests/test_styx_proto.c tests/test_styx_codec.c tests/test_sched.c tests/test_slow.c tests/test_chat_api.c tests/test_sess.c
endif
TESTS = $(TESTSRC:tests/%.c=$(B)/tests/%)
TESTLIB = $(patsubst %.c,$(B)/%.o,$(filter-out tests/test_%.c,$(wildcard tests/*.c)))

# no shared library for -m32: emu links the static one, and Debian's i386 PCRE2 archive is not PIC
SHARED = $(if $(filter 1,$(M32)),,$(B)/libllambo.so)

all: $(B)/libllambo.a $(SHARED) $(CMDS:%=$(B)/bin/%) $(TESTS)

$(B)/libllambo.a: $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

# the version is LLAMBO_VERSION in llambo.h; the soname changes with its first number
VERSION := $(shell sed -n 's/^\#define LLAMBO_VERSION "\([0-9.]*\)".*/\1/p' include/llambo.h)
SONAME = libllambo.so.$(firstword $(subst ., ,$(VERSION)))

$(B)/libllambo.so.$(VERSION): $(LIBOBJ)
	$(CC) -shared $(LDFLAGS_ALL) -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $^ $(LIBS)

$(B)/libllambo.so: $(B)/libllambo.so.$(VERSION)
	ln -sf libllambo.so.$(VERSION) $(B)/$(SONAME)
	ln -sf libllambo.so.$(VERSION) $@

$(B)/libstyx.a: $(STYXOBJ)
	@rm -f $@
	ar rcs $@ $^

define TIER_RULE
$$(B)/%_$(1).o: %_$(or $(TIER_SRC_$(1)),$(1)).c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(TIER_FLAGS_$(1)) -MMD -MP -c -o $$@ $$<
endef
$(foreach t,$(TIERS),$(eval $(call TIER_RULE,$(t))))

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

define CMD_RULE
$(B)/bin/$(1): $(patsubst %.c,$(B)/%.o,$(wildcard cmd/$(1)/*.c)) $(B)/libstyx.a $(B)/libllambo.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(B)/libstyx.a $(B)/libllambo.a $$(LIBS_$(1)) $$(LIBS)
endef
$(foreach c,$(CMDS),$(eval $(call CMD_RULE,$(c))))

$(B)/tests/%: $(B)/tests/%.o $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a -lcmocka $(LIBS)

FUZZSRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS = $(FUZZSRC:tests/fuzz/%.c=$(B)/fuzz/%)

$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a -lcmocka $(LIBS)

fuzz: $(FUZZERS)

test: all
	B=$(B) sh tests/run.sh $(TESTS)

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the commands, the library (static,
# and shared with its soname), llambo.h, llambo.pc, the manual pages and the Limbo modules;
# make uninstall removes exactly these.  BINDIR LIBDIR INCLUDEDIR MANDIR DATADIR override.
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
DATADIR = $(PREFIX)/share
MANDIR = $(DATADIR)/man
PCDIR = $(LIBDIR)/pkgconfig
LIMBODIR = $(DATADIR)/llambo/inferno
MANPAGES = $(wildcard man/*.[1-9])
LIMBOSRC = $(wildcard inferno/module/*.m inferno/appl/*.b)
D = $(DESTDIR)

progs: $(B)/libllambo.a $(SHARED) $(CMDS:%=$(B)/bin/%)

install: progs
	install -d $(D)$(BINDIR) $(D)$(LIBDIR) $(D)$(INCLUDEDIR) $(D)$(PCDIR) $(D)$(LIMBODIR)
	install -m 755 $(CMDS:%=$(B)/bin/%) $(D)$(BINDIR)/
	install -m 644 $(B)/libllambo.a $(D)$(LIBDIR)/
ifneq ($(SHARED),)
	install -m 755 $(B)/libllambo.so.$(VERSION) $(D)$(LIBDIR)/
	ln -sf libllambo.so.$(VERSION) $(D)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(D)$(LIBDIR)/libllambo.so
endif
	install -m 644 include/llambo.h $(D)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    llambo.pc.in > $(D)$(PCDIR)/llambo.pc && chmod 644 $(D)$(PCDIR)/llambo.pc
	for m in $(MANPAGES); do install -d $(D)$(MANDIR)/man$${m##*.} && install -m 644 $$m $(D)$(MANDIR)/man$${m##*.}/ || exit 1; done
	install -m 644 $(LIMBOSRC) $(D)$(LIMBODIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(CMDS:%=$(D)$(BINDIR)/%) $(D)$(LIBDIR)/libllambo.a $(D)$(LIBDIR)/libllambo.so $(D)$(LIBDIR)/$(SONAME) \
	    $(D)$(LIBDIR)/libllambo.so.$(VERSION) $(D)$(INCLUDEDIR)/llambo.h $(D)$(PCDIR)/llambo.pc \
	    $(foreach m,$(MANPAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
	    $(addprefix $(D)$(LIMBODIR)/,$(notdir $(LIMBOSRC)))
	rmdir $(D)$(LIMBODIR) $(D)$(DATADIR)/llambo 2>/dev/null || true

clean:
	rm -rf build build-san build32 build32-san build*-plain build-tsan build-fuzz build-aarch64 build-arm

.PHONY: all test clean fuzz progs install uninstall
-include $(shell find $(B) -name '*.d' 2>/dev/null)
