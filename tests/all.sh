#!/bin/sh
# The whole test suite, as CI runs it: installs what it needs, then builds and runs
# the tests four ways (optimised, AddressSanitizer+UBSan, -m32, and with no SIMD
# kernel tier compiled in: the plain C build other machines get), the server and API
# tests under ThreadSanitizer, a short run of each libFuzzer harness (about a minute
# for all), then the Inferno tests (which say plainly that they skip when
# INFERNO_ROOT is absent), the installation's (tests/install.sh) and the aarch64
# cross build's under qemu (tests/cross.sh, a subset: it says which).  The Debian
# packaging's check, tests/deb.sh, is slower (debootstrap chroots): it runs on its own,
# or here with LLAMBO_DEB=1.
# Ends with one line: "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
sh scripts/deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
sh scripts/vocabs.sh || echo "(the tokenizer tests that need those vocabularies will say they skipped)"
total_p=0 total_f=0 total_s=0
run() {	# run LABEL MAKEFLAGS...
	label=$1; shift
	echo "=== $label"
	if ! make -j2 "$@" all >/tmp/llambo-build-$$.log 2>&1; then
		cat /tmp/llambo-build-$$.log
		echo "$label: build failed"
		total_f=$((total_f + 1))
		return
	fi
	out=$(make --no-print-directory "$@" test 2>&1)
	printf '%s\n' "$out" | grep -v '^\[ *\(RUN\|OK\) *\]'
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	[ -n "$line" ] || { total_f=$((total_f + 1)); return; }
	set -- $line
	total_p=$((total_p + $1)); total_f=$((total_f + $3)); total_s=$((total_s + $5))
}
suite() {	# suite LABEL SCRIPT: a script that ends with "N passed, N failed, N skipped"
	echo "=== $1"
	out=$(sh "$2" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -1)
	if [ -n "$line" ]; then
		set -- $line
		total_p=$((total_p + $1)); total_f=$((total_f + $3)); total_s=$((total_s + $5))
	fi
	[ $rc -eq 0 ] && [ -n "$line" ] || total_f=$((total_f + 1))
}
run "optimised build"
run "AddressSanitizer + UndefinedBehaviorSanitizer" SAN=1
run "32-bit build (-m32)" M32=1
run "plain C build (no SIMD tier)" PLAIN=1
run "ThreadSanitizer (the server and API tests)" TSAN=1
suite "libFuzzer harnesses, a short run of each (tests/fuzz.sh)" tests/fuzz.sh
suite "Inferno (the emu tests need INFERNO_ROOT; without it they say they skipped)" tests/inferno.sh
suite "make install into a temporary DESTDIR and PREFIX, pkg-config, man -l" tests/install.sh
suite "aarch64: cross build, its tests under qemu-user (tests/cross.sh)" tests/cross.sh
[ -z "$LLAMBO_DEB" ] || suite "Debian packages, lintian, clean chroots (tests/deb.sh, LLAMBO_DEB=1)" tests/deb.sh
rm -f /tmp/llambo-build-$$.log
echo "all suites: $total_p passed, $total_f failed, $total_s skipped"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
