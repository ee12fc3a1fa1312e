#!/bin/sh
# The Inferno tests, for CI and people.
#
# Always: builds inferno/lib/llambo_c.so (the builtin module's engine side,
# -m32, linked with the 32-bit libllambo) and checks the shell scripts.
# With INFERNO_ROOT naming a built hosted Inferno tree (BUILD-FFI.md):
# ./build-ffi.sh build, then ./deploy.sh test-ffi, test-styx, test-net and test-request,
# each inside emu-llambo.  Without it the emu tests are skipped, and it says so.
# Ends with "N passed, N failed, N skipped" (one count per step).
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0

step() {	# step NAME COMMAND...: run it, count it
	name=$1; shift
	echo "--- $name"
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}

step "sh -n build-ffi.sh deploy.sh install.sh" sh -c 'sh -n build-ffi.sh && sh -n deploy.sh && sh -n inferno/c-module/install.sh'
step "32-bit engine side: inferno/lib/llambo_c.so" make -C inferno/c-module INFERNO_ROOT=
step "llambo_c.so exports only lbc_ functions" sh -c 'nm -D --defined-only inferno/lib/llambo_c.so | grep -q " lbc_start$" && ! nm -D --defined-only inferno/lib/llambo_c.so | awk "{print \$3}" | grep -v "^lbc_"'
# emu replaces malloc/free with its pools but not posix_memalign and friends:
# a block from those, given to free, panics emu
step "llambo_c.so uses no aligned allocator" sh -c '! nm -D --undefined-only inferno/lib/llambo_c.so | grep -E "posix_memalign|aligned_alloc|memalign|valloc"'
step "FFI-USAGE.md is generated from llambo_c.m" sh -c 'sh inferno/mkusage.sh | cmp -s - FFI-USAGE.md'

if [ -z "$INFERNO_ROOT" ]; then
	echo "skipped: INFERNO_ROOT not set: no emu tests (build-ffi.sh build, deploy.sh test-ffi, test-styx, test-net, test-request) ran; see BUILD-FFI.md"
	echo "skipped: so the Limbo parser did not read the request vectors (tests/requests.txt); the C parser and the CLI did"
	skip=$((skip + 5))
elif [ ! -x "$INFERNO_ROOT/${SYSHOST:-Linux}/${OBJTYPE:-386}/bin/limbo" ]; then
	echo "skipped: INFERNO_ROOT=$INFERNO_ROOT has no built limbo: no emu tests ran (the Limbo parser's request vectors among them); see BUILD-FFI.md"
	skip=$((skip + 5))
else
	step "./build-ffi.sh build" ./build-ffi.sh build
	step "./deploy.sh test-ffi" ./deploy.sh test-ffi
	step "./deploy.sh test-styx" ./deploy.sh test-styx
	step "./deploy.sh test-net" ./deploy.sh test-net
	step "./deploy.sh test-request" ./deploy.sh test-request
fi
echo "inferno: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
