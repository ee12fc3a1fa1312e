# Llambo: make builds the library, the commands and the tests.
#   make            build/ (optimised)
#   make SAN=1      build-san/ (AddressSanitizer + UndefinedBehaviorSanitizer)
#   make M32=1      build32/ (-m32, what hosted Inferno's emu links with)
#   make test       builds and runs the tests (also with SAN=1 / M32=1)

CC ?= cc
OPT ?= -O2
WARN = -Wall -Wextra -Wno-unused-parameter
BASEFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fPIC -fvisibility=hidden -pthread -g
B = build
ARCH =
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
CFLAGS_ALL = $(BASEFLAGS) $(OPT) $(WARN) $(ARCH) -Iinclude $(CFLAGS)
SIMD = -mavx2 -mfma -mf16c
PCRELIB = $(if $(PCRE32),$(PCRE32),-lpcre2-8)
LIBS = $(PCRELIB) -lm -pthread
LDFLAGS_ALL = $(ARCH) $(LDFLAGS)

LIBSRC = $(filter-out src/styx/%,$(wildcard src/*/*.c))
STYXSRC = $(wildcard src/styx/*.c)
LIBOBJ = $(LIBSRC:%.c=$(B)/%.o)
STYXOBJ = $(STYXSRC:%.c=$(B)/%.o)
CMDS = $(patsubst cmd/%/,%,$(dir $(wildcard cmd/*/main.c)))
TESTSRC = $(wildcard tests/test_*.c)
TESTS = $(TESTSRC:tests/%.c=$(B)/tests/%)
TESTLIB = $(patsubst %.c,$(B)/%.o,$(filter-out tests/test_%.c,$(wildcard tests/*.c)))

# no shared library for -m32: emu links the static one, and Debian's i386 PCRE2 archive is not PIC
SHARED = $(if $(filter 1,$(M32)),,$(B)/libllambo.so)

all: $(B)/libllambo.a $(SHARED) $(CMDS:%=$(B)/bin/%) $(TESTS)

$(B)/libllambo.a: $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libllambo.so: $(LIBOBJ)
	$(CC) -shared $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(B)/libstyx.a: $(STYXOBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SIMD) -MMD -c -o $@ $<

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -c -o $@ $<

define CMD_RULE
$(B)/bin/$(1): $(patsubst %.c,$(B)/%.o,$(wildcard cmd/$(1)/*.c)) $(B)/libstyx.a $(B)/libllambo.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(B)/libstyx.a $(B)/libllambo.a $$(LIBS)
endef
$(foreach c,$(CMDS),$(eval $(call CMD_RULE,$(c))))

$(B)/tests/%: $(B)/tests/%.o $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(TESTLIB) $(B)/libstyx.a $(B)/libllambo.a -lcmocka $(LIBS)

test: all
	B=$(B) sh tests/run.sh

clean:
	rm -rf build build-san build32 build32-san

.PHONY: all test clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)
