#!/bin/sh
# The installation, as someone else's program sees it (part of tests/all.sh).
#
# make install into a temporary DESTDIR (PREFIX=/usr/local), then: every file is
# there, the shared library has its soname, pkg-config finds llambo (version,
# flags), a small C program (tests/install/hello.c) builds against
# `pkg-config --cflags --libs llambo` both ways (shared; static with --static)
# and generates the same text as the installed llambo command, the installed
# manual pages format with no warning from man -l, and make uninstall leaves no
# file behind.  Then the same with PREFIX a temporary directory and no DESTDIR.
# Ends with "install: N passed, N failed, N skipped" (one count per step).
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
pass=0 fail=0 skip=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llambo-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

step() {	# step NAME COMMAND...: run it, count it
	name=$1; shift
	echo "--- $name"
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
skipped() {	# skipped NAME WHY
	skip=$((skip + 1)); echo "skip $1: $2"
}

version=$(sed -n 's/^#define LLAMBO_VERSION "\([0-9.]*\)".*/\1/p' include/llambo.h)
make -s -j2 progs >/dev/null || { echo "install: 0 passed, 1 failed, 0 skipped"; exit 1; }

files_there() {	# files_there ROOT: what make install must write below ROOT
	r=$1
	for f in bin/llambo bin/llambo-styx bin/llambo-9p include/llambo.h lib/libllambo.a lib/libllambo.so.$version \
	    lib/pkgconfig/llambo.pc share/man/man1/llambo.1 share/man/man1/llambo-9p.1 share/man/man2/llambo.2 share/man/man3/llambo.3 \
	    share/man/man4/llambo-styx.4 share/llambo/inferno/llambo.m share/llambo/inferno/llambo_c.m \
	    share/llambo/inferno/llambo.b; do
		[ -f "$r/$f" ] || { echo "missing $r/$f"; return 1; }
	done
	[ "$(readlink "$r/lib/libllambo.so.0")" = "libllambo.so.$version" ] && [ "$(readlink "$r/lib/libllambo.so")" = libllambo.so.0 ] ||
		{ echo "the library's symbolic links are wrong"; ls -l "$r/lib"; return 1; }
	readelf -d "$r/lib/libllambo.so.$version" | grep -q 'SONAME.*\[libllambo\.so\.0\]' || { echo "no soname libllambo.so.0"; return 1; }
	"$r/bin/llambo" --version | grep -qx "llambo $version"
}

# hello ROOT SYSROOT [RUNENV]: builds tests/install/hello.c against pkg-config's flags (the
# llambo.pc below ROOT), shared and static, and compares its text with the installed command's
hello() (
	r=$1 runenv=$3
	export PKG_CONFIG_PATH="$r/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$2"
	[ "$(pkg-config --modversion llambo)" = "$version" ] || { echo "pkg-config --modversion: $(pkg-config --modversion llambo)"; return 1; }
	echo "pkg-config --cflags --libs llambo: $(pkg-config --cflags --libs llambo)"
	libdir=$(pkg-config --variable=libdir llambo)
	# staged (a sysroot): the run finds the library through RUNENV; installed: through the rpath
	rpath=; [ -n "$2" ] || rpath=-Wl,-rpath,$libdir
	${CC:-cc} -Wall -Wextra -Werror -o "$tmp/hello" tests/install/hello.c $(pkg-config --cflags --libs llambo) $rpath || return 1
	${CC:-cc} -Wall -Wextra -Werror -o "$tmp/hello-static" tests/install/hello.c $(pkg-config --cflags llambo) \
		$(pkg-config --static --libs llambo | sed 's/-lllambo/-l:libllambo.a/') || return 1
	env $runenv ldd "$tmp/hello" | grep -q "libllambo.so.0 => $r/lib/libllambo.so.0" ||
		{ echo "hello does not use $r/lib:"; env $runenv ldd "$tmp/hello"; return 1; }
	! ldd "$tmp/hello-static" | grep -q libllambo || { echo "hello-static is linked with the shared library"; return 1; }
	"$r/bin/llambo" synth -o "$tmp/m.gguf" --n-layer 2 2>/dev/null || return 1
	want=$("$r/bin/llambo" run -m "$tmp/m.gguf" -p 'Once upon a time' -n 16 --temp 0 2>/dev/null) || return 1
	for h in hello hello-static; do
		got=$(env $runenv "$tmp/$h" "$tmp/m.gguf" 'Once upon a time' 16) || return 1
		[ -n "$got" ] && [ "$got" = "$want" ] || { echo "$h printed '$got'; llambo run printed '$want'"; return 1; }
	done
	echo "hello and hello-static: $got"
)

# man_clean ROOT: every installed page formats with no warning
man_clean() {
	n=0
	for m in "$1"/share/man/man*/*; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null)
		[ -z "$w" ] || { echo "$m:"; echo "$w"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -eq 5 ] || { echo "$n manual pages, not 5"; return 1; }
}

nothing_left() {	# nothing_left ROOT: no file or link below it
	left=$(find "$1" ! -type d)
	[ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}

# 1. DESTDIR staging, as packagers do
dest=$tmp/dest
step "make install DESTDIR=... PREFIX=/usr/local" make -s install DESTDIR="$dest" PREFIX=/usr/local
step "every file, the soname, llambo --version" files_there "$dest/usr/local"
if command -v pkg-config >/dev/null; then
	step "a program built with pkg-config --cflags --libs llambo (DESTDIR)" hello "$dest/usr/local" "$dest" \
		LD_LIBRARY_PATH="$dest/usr/local/lib"
else
	skipped "a program built with pkg-config" "no pkg-config (apt-get install pkgconf, or sh scripts/deps.sh)"
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
	step "man -l: the installed pages, no warnings" man_clean "$dest/usr/local"
else
	skipped "man -l" "no man or groff (apt-get install man-db)"
fi
step "make uninstall" make -s uninstall DESTDIR="$dest" PREFIX=/usr/local
step "no file left" nothing_left "$dest"

# 2. a PREFIX of one's own, no DESTDIR: found through PKG_CONFIG_PATH and the rpath alone
pre=$tmp/prefix
step "make install PREFIX=..." make -s install PREFIX="$pre"
if command -v pkg-config >/dev/null; then
	step "a program built with pkg-config --cflags --libs llambo (PREFIX)" hello "$pre" ""
else
	skipped "a program built with pkg-config" "no pkg-config"
fi
step "make uninstall PREFIX=..." make -s uninstall PREFIX="$pre"
step "no file left" nothing_left "$pre"

echo "install: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
