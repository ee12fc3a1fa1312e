#!/bin/sh
# Installs the Debian packages Llambo builds and tests with (run as root, or with sudo).
#   build: gcc make libpcre2-dev          tests: libcmocka-dev
#   32-bit (hosted Inferno's emu is 32-bit): gcc-multilib libpcre2-dev:i386 libcmocka-dev:i386
set -e
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
need=""
for p in gcc make libpcre2-dev libcmocka-dev gcc-multilib libpcre2-dev:i386 libcmocka-dev:i386; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "installing:$need"
dpkg --print-foreign-architectures | grep -qx i386 || $SUDO dpkg --add-architecture i386
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
