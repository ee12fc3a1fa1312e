#!/bin/sh
# The Inferno tests, for CI and people.
#
# Always: builds the builtin module's engine side, inferno/lib/386/llambo_c.so
# (-m32, linked with the 32-bit libllambo, for inferno-os's 32-bit emu) and, on
# a 64-bit host, inferno/lib/amd64 or arm64/llambo_c.so (for infernode's 64-bit
# emu), checks what they export, and checks the shell scripts.
# For each of INFERNO_ROOT and INFERNO_ROOT64 that names a built hosted Inferno
# tree (BUILD-FFI.md; inferno/treeenv.sh finds out its kind): ./build-ffi.sh
# build, then ./deploy.sh test-ffi, test-styx, test-net and test-request, each
# inside that tree's emu-llambo.  Without one the emu tests are skipped, and it
# says so.
# Ends with "N passed, N failed, N skipped" (one count per step).
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0

step() {	# step NAME COMMAND...: run it, count it
	name=$1; shift
	echo "--- $name"
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}

# exports_lbc SO: only the lbc_ functions are global, so nothing can clash with emu's globals
exports_lbc() {
	nm -D --defined-only "$1" | grep -q " lbc_start$" && ! nm -D --defined-only "$1" | awk '{print $3}' | grep -v '^lbc_'
}
# no_aligned_alloc SO: emu replaces malloc/free with its pools but not posix_memalign
# and friends: a block from those, given to free, panics emu
no_aligned_alloc() {
	[ -f "$1" ] && ! nm -D --undefined-only "$1" | grep -E 'posix_memalign|aligned_alloc|memalign|valloc'
}
engine() {	# engine OBJTYPE WHAT: the engine side for that emu, and its checks
	step "$2 engine side: inferno/lib/$1/llambo_c.so" make -C inferno/c-module OBJTYPE="$1" INFERNO_ROOT=
	step "inferno/lib/$1/llambo_c.so exports only lbc_ functions" exports_lbc "inferno/lib/$1/llambo_c.so"
	step "inferno/lib/$1/llambo_c.so uses no aligned allocator" no_aligned_alloc "inferno/lib/$1/llambo_c.so"
}

step "sh -n build-ffi.sh deploy.sh install.sh treeenv.sh" sh -c 'sh -n build-ffi.sh && sh -n deploy.sh && sh -n inferno/c-module/install.sh && sh -n inferno/treeenv.sh'
engine 386 "32-bit"
case $(uname -m) in
x86_64)	engine amd64 "64-bit";;
aarch64) engine arm64 "64-bit";;
esac
step "FFI-USAGE.md is generated from llambo_c.m" sh -c 'sh inferno/mkusage.sh | cmp -s - FFI-USAGE.md'

# emu_tests ROOT: the emu tests in the tree at ROOT, as treeenv.sh finds it (OBJTYPE, BASE, MKFILE)
emu_tests() {
	INFERNO_ROOT=$1 OBJTYPE= BASE= MKFILE=
	. inferno/treeenv.sh
	export INFERNO_ROOT OBJTYPE BASE MKFILE
	if [ ! -x "$INFERNO_ROOT/$SYSHOST/$OBJTYPE/bin/limbo" ]; then
		echo "skipped: $INFERNO_ROOT has no built limbo: no emu tests ran there; see BUILD-FFI.md"
		skip=$((skip + 6))
		return
	fi
	step "./build-ffi.sh build ($INFERNO_ROOT, $OBJTYPE)" ./build-ffi.sh build
	step "./deploy.sh test-ffi ($OBJTYPE)" ./deploy.sh test-ffi
	step "./deploy.sh test-styx ($OBJTYPE)" ./deploy.sh test-styx
	step "./deploy.sh test-net ($OBJTYPE)" ./deploy.sh test-net
	step "./deploy.sh test-request ($OBJTYPE)" ./deploy.sh test-request
	step "./deploy.sh test-llm ($OBJTYPE): infernode's script on the native server's sessions" ./deploy.sh test-llm
}
roots="$INFERNO_ROOT $INFERNO_ROOT64"
if [ -z "$(echo $roots)" ]; then
	echo "skipped: INFERNO_ROOT not set: no emu tests (build-ffi.sh build, deploy.sh test-ffi, test-styx, test-net, test-request, test-llm) ran; see BUILD-FFI.md"
	echo "skipped: so the Limbo parser did not read the request vectors (tests/requests.txt); the C parser and the CLI did"
	skip=$((skip + 6))
fi
for root in $roots; do
	emu_tests "$root"
done
echo "inferno: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
