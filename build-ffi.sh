#!/bin/sh
# build-ffi.sh build|check|clean
#
#   check   reports each dependency and what to do about a missing one
#   build   the native library and tools (build/), for a 32-bit emu the
#           32-bit library (build32/), and inferno/lib/$OBJTYPE/llambo_c.so;
#           with INFERNO_ROOT set, also the .dis files, and installs into
#           that Inferno tree the module, the programs and emu-llambo, a
#           second emu with the Llambo_c builtin module (each path is
#           printed; the tree's own emu is left alone)
#   clean   removes all of that, from this repository and the tree
#
# INFERNO_ROOT is a hosted Inferno tree built from source (see
# BUILD-FFI.md): inferno-os's, whose emu is a 32-bit program (OBJTYPE
# 386), or infernode's, whose emu is 64-bit (amd64, arm64).  What kind
# of tree it is (OBJTYPE, BASE, MKFILE) is found out by inferno/treeenv.sh
# unless set.  Building twice is safe.
set -e
cd "$(dirname "$0")"
REPO=$(pwd)
. inferno/treeenv.sh
JOBS=${JOBS:-2}
problems=0

ok() {
	printf '  ok       %s\n' "$1"
}

missing() {
	printf '  MISSING  %s\n           -> %s\n' "$1" "$2"
	problems=$((problems + 1))
}

# compile and link a small program with the given flags and libraries
links() {
	t=$(mktemp -d)
	printf '%s\nint main(void){return 0;}\n' "$1" > "$t/t.c"
	shift
	if ${CC:-cc} "$@" -o "$t/t" "$t/t.c" $LINKLIBS > /dev/null 2>&1; then r=0; else r=1; fi
	rm -rf "$t"
	return $r
}

pkg() {
	if dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; then
		ok "Debian package $1"
	else
		missing "Debian package $1 ($2)" "apt-get install $1"
	fi
}

check_native() {
	echo "native build:"
	if command -v "${CC:-cc}" > /dev/null; then ok "C compiler ${CC:-cc}"; else missing "C compiler" "apt-get install build-essential"; fi
	command -v make > /dev/null && ok "make" || missing "make" "apt-get install make"
	LINKLIBS= links '#include <stdio.h>' && ok "C library headers" || missing "C library headers" "apt-get install libc6-dev"
	LINKLIBS=-lcmocka links '#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>' && ok "cmocka (the tests)" || missing "cmocka (for make test)" "apt-get install libcmocka-dev"
}

# the engine side for a 64-bit emu: built like build/, natively
check_64() {
	echo "64-bit emu ($OBJTYPE): the engine is built natively, with the system's PCRE2"
	LINKLIBS=-lpcre2-8 links '#include <stdio.h>' && ok "PCRE2 (libpcre2-8)" || missing "PCRE2" "apt-get install libpcre2-dev"
}

# the engine side for inferno-os's 32-bit emu: -m32, with 32-bit PCRE2 and cmocka
check_32() {
	echo "32-bit build (inferno-os's hosted emu on Linux is a 32-bit program):"
	if command -v dpkg-query > /dev/null; then
		pkg gcc-multilib "the -m32 compiler"
		pkg libc6-dev-i386 "the 32-bit C library"
		pkg libpcre2-dev "PCRE2, for the pre-tokenizer"
		if [ -f .deps/i386/usr/lib/i386-linux-gnu/libpcre2-8.a ]; then
			ok "32-bit PCRE2 (.deps/i386, from scripts/deps.sh)"
		else
			pkg libpcre2-dev:i386 "32-bit PCRE2, linked into llambo_c.so; scripts/deps.sh unpacks it into .deps/i386 when apt cannot install it"
		fi
	fi
	LINKLIBS= links '#include <stdio.h>' -m32 && ok "cc -m32 compiles and links" ||
		missing "a working cc -m32" "apt-get install gcc-multilib (on Debian/Ubuntu)"
	LINKLIBS=-lcmocka links '#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>' -m32 && ok "32-bit cmocka (make M32=1 test)" ||
		missing "32-bit cmocka (for make M32=1 test)" "dpkg --add-architecture i386 && apt-get update && apt-get install libcmocka-dev:i386"
}

check_tree() {
	echo "Inferno:"
	if [ -z "$INFERNO_ROOT" ]; then
		missing "INFERNO_ROOT" "set it to a hosted Inferno tree built from source (BUILD-FFI.md, step 1); without it only the native parts build"
	else
		[ -f "$INFERNO_ROOT/mkconfig" ] && ok "INFERNO_ROOT=$INFERNO_ROOT" ||
			missing "an Inferno tree at INFERNO_ROOT=$INFERNO_ROOT (no mkconfig)" "point INFERNO_ROOT at the root of the inferno-os or infernode tree"
		bin=$INFERNO_ROOT/$SYSHOST/$OBJTYPE/bin
		[ -x "$bin/mk" ] && ok "mk ($bin/mk)" ||
			missing "mk in $bin" "in $INFERNO_ROOT: edit mkconfig (ROOT, SYSHOST=$SYSHOST, OBJTYPE=$OBJTYPE), then ./makemk.sh"
		[ -x "$bin/limbo" ] && ok "limbo ($bin/limbo)" ||
			missing "limbo in $bin" "in $INFERNO_ROOT: PATH=$bin:\$PATH mk install (BUILD-FFI.md, step 1)"
		for l in interp math keyring sec mp 9; do
			[ -f "$INFERNO_ROOT/$SYSHOST/$OBJTYPE/lib/lib$l.a" ] ||
				missing "lib$l.a in $INFERNO_ROOT/$SYSHOST/$OBJTYPE/lib" "build the Inferno libraries: BUILD-FFI.md, step 1"
		done
		ok "OBJTYPE=$OBJTYPE BASE=$BASE MKFILE=$MKFILE"
		[ -f "$INFERNO_ROOT/emu/$SYSHOST/$BASE" ] && ok "emu configuration emu/$SYSHOST/$BASE" ||
			missing "emu/$SYSHOST/$BASE" "set BASE to an emu configuration of your tree (emu-g or emu)"
		[ -f "$INFERNO_ROOT/emu/$SYSHOST/$MKFILE" ] && ok "emu mkfile emu/$SYSHOST/$MKFILE" ||
			missing "emu/$SYSHOST/$MKFILE" "set MKFILE to the emu mkfile of your tree (mkfile, or infernode's mkfile-g)"
		[ -f "$INFERNO_ROOT/dis/sh.dis" ] && ok "the Dis programs (dis/sh.dis)" ||
			missing "$INFERNO_ROOT/dis/sh.dis" "use a complete inferno-os or infernode tree"
	fi
}

check() {
	check_native
	if [ "$OBJTYPE" = 386 ]; then check_32; else check_64; fi
	check_tree
	if [ "$problems" -eq 0 ]; then
		echo "everything is in place"
	else
		echo "$problems missing"
	fi
	return 0
}

build() {
	echo "== the native library and tools (build/)"
	tools=$(for m in cmd/*/main.c; do echo build/bin/$(basename "$(dirname "$m")"); done)
	make -j"$JOBS" build/libllambo.a build/libllambo.so $tools
	if [ "$OBJTYPE" = 386 ]; then
		echo "== the 32-bit library (build32/)"
		make -j"$JOBS" M32=1 build32/libllambo.a
	fi
	echo "== the builtin module's engine side (inferno/lib/$OBJTYPE/llambo_c.so)"
	make -C inferno/c-module OBJTYPE="$OBJTYPE"
	if [ -z "$INFERNO_ROOT" ]; then
		echo "skipped: INFERNO_ROOT is not set, so no .dis files and no emu-llambo (see ./build-ffi.sh check)"
		return 0
	fi
	echo "== emu-llambo and the Limbo programs, into $INFERNO_ROOT ($OBJTYPE, from $BASE with $MKFILE)"
	make -C inferno/c-module install BASE="$BASE" MKFILE="$MKFILE" SYSHOST="$SYSHOST" OBJTYPE="$OBJTYPE"
}

clean() {
	if [ -n "$INFERNO_ROOT" ]; then
		make -C inferno/c-module uninstall BASE="$BASE" MKFILE="$MKFILE" SYSHOST="$SYSHOST" OBJTYPE="$OBJTYPE"
	else
		echo "INFERNO_ROOT is not set: nothing removed from an Inferno tree"
	fi
	make -C inferno/c-module clean
	echo "removing build/ build32/"
	rm -rf build build32
}

case "$1" in
check)	check;;
build)	build;;
clean)	clean;;
*)	echo "usage: ./build-ffi.sh build|check|clean" >&2; exit 2;;
esac
