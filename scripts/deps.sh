#!/bin/sh
# Installs the Debian packages Llambo builds and tests with (run as root, or with sudo).
#   build: gcc make libpcre2-dev          tests: libcmocka-dev, pkgconf and man-db (tests/install.sh),
#          npm (scripts/vocabs.sh fetches tokenizers)
#   the llambo command: libjansson-dev (JSON for llambo template)
#   32-bit (hosted Inferno's emu is 32-bit): gcc-multilib libpcre2-dev:i386 libcmocka-dev:i386 libjansson-dev:i386
#   the libFuzzer harnesses (tests/fuzz): clang libclang-rt-dev
#   deps.sh deb, also the Debian packaging's (tests/deb.sh): dpkg-dev debhelper lintian debootstrap
#   the aarch64 cross build and its tests under qemu (tests/cross.sh): binutils-aarch64-linux-gnu
#          libgcc-12-dev-arm64-cross qemu-user, and libc6-dev libpcre2-dev libcmocka-dev libjansson-dev :arm64
set -e
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
arch=$(dpkg --print-architecture)
need=""
deb=; [ "$1" = deb ] && deb="dpkg-dev debhelper lintian debootstrap"
for p in gcc make libpcre2-dev:$arch libcmocka-dev:$arch libjansson-dev:$arch pkgconf man-db gcc-multilib libcmocka-dev:i386 libjansson-dev:i386 clang libclang-rt-dev $deb; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
command -v npm >/dev/null 2>&1 || need="$need npm"
if [ -n "$need" ]; then
	echo "installing:$need"
	dpkg --print-foreign-architectures | grep -qx i386 || $SUDO dpkg --add-architecture i386
	$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq || echo "apt-get update reported errors; trying with the indexes it has"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq $need
fi

# The aarch64 cross build (tests/cross.sh).  clang is its compiler: Debian's gcc-aarch64-linux-gnu
# conflicts with gcc-multilib, which the -m32 build needs.  Not fatal: without these packages
# tests/cross.sh says it skipped.
cross="binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross qemu-user libc6-dev:arm64 libpcre2-dev:arm64 libcmocka-dev:arm64 libjansson-dev:arm64"
need=""
for p in $cross; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	echo "installing (aarch64 cross build):$need"
	{ dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64; } &&
	$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq &&
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $need ||
	echo "could not install$need: tests/cross.sh will skip"
fi

# PCRE2 for -m32.  libpcre2-dev:i386 cannot always be installed beside the amd64 one (a
# security update of the amd64 package and no matching i386 build make apt refuse), so when
# it is not installed we unpack Debian's i386 package into .deps/i386 and link its static
# library from there (the Makefile looks there for M32=1).
here=$(cd "$(dirname "$0")/.." && pwd)
if ! dpkg -s libpcre2-dev:i386 >/dev/null 2>&1 && [ ! -f "$here/.deps/i386/usr/lib/i386-linux-gnu/libpcre2-8.a" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && chmod 777 . && apt-get download libpcre2-dev:i386 libpcre2-8-0:i386) || { rm -rf "$tmp"; exit 1; }
	mkdir -p "$here/.deps/i386"
	for d in "$tmp"/*.deb; do dpkg -x "$d" "$here/.deps/i386"; done
	rm -rf "$tmp"
	echo "unpacked libpcre2-dev:i386 into .deps/i386"
fi
