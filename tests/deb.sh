#!/bin/sh
# The Debian packaging, checked.  It takes minutes (a package build with its
# tests, two Debian chroots), so tests/all.sh runs it only with LLAMBO_DEB=1;
# run it on its own:  sh tests/deb.sh
#
#  1. dpkg-buildpackage -us -uc, in a copy of this tree, builds libllambo0,
#     libllambo-dev and llambo; lintian: errors fail, warnings are shown.
#  2. In a clean chroot (debootstrap --variant=minbase, from Debian's archive):
#     apt installs the three packages, `llambo --version` and the built-in model
#     run, systemd-analyze verify accepts the unit, and the unit's ExecStart line,
#     with /etc/default/llambo-styx, starts a server that loads and generates
#     over 9P (in a network namespace of its own, so port 9999 is its own).
#  3. In another clean chroot, a fresh machine: README's first command as it is
#     written, then make install and a program built against
#     `pkg-config --cflags --libs llambo`.
#
# Needs dpkg-dev, debhelper and lintian (1), and root, debootstrap and the
# network (2, 3): sh scripts/deps.sh deb installs them.  A step whose tools are
# missing says so and counts as skipped.
# The minbase chroot is kept as a tarball in $LLAMBO_DEB_CACHE (default
# /var/cache/llambo-deb) for the next run.
# Ends with "deb: N passed, N failed, N skipped" (one count per step).
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
pass=0 fail=0 skip=0
work=$(mktemp -d "${TMPDIR:-/tmp}/llambo-deb.XXXXXX") || exit 1
cache=${LLAMBO_DEB_CACHE:-/var/cache/llambo-deb}
suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
mirror=${LLAMBO_DEB_MIRROR:-http://deb.debian.org/debian}

cleanup() {
	for p in "$work"/*/proc; do mountpoint -q "$p" 2>/dev/null && umount "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT

step() {	# step NAME COMMAND...: run it, count it
	name=$1; shift
	echo "--- $name"
	if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
skipped() {	# skipped N WHY: N steps could not run
	skip=$((skip + $1)); echo "skipped $1: $2"
}
finish() {
	echo "deb: $pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}

version=$(sed -n 's/^#define LLAMBO_VERSION "\([0-9.]*\)".*/\1/p' include/llambo.h)

# --- 1. the packages
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null || ! command -v lintian >/dev/null; then
	skipped 8 "no dpkg-buildpackage, dh or lintian: sh scripts/deps.sh deb"
	finish
fi
copy_tree() {	# copy_tree DIR: this tree's sources (what git tracks or would), no build products
	mkdir -p "$1" || return 1
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$1"
	else
		tar --exclude='./build*' --exclude=./.deps --exclude=./inferno/lib --exclude=./inferno/dis -cf - . | tar -xf - -C "$1"
	fi
}
src=$work/llambo-$version
copy_tree "$src" || exit 1

changelog_version() {
	v=$(cd "$src" && dpkg-parsechangelog -S Version)
	[ "$v" = "$version" ] || { echo "debian/changelog says $v, include/llambo.h $version"; return 1; }
}
step "debian/changelog's version is LLAMBO_VERSION ($version)" changelog_version

build() {
	(cd "$src" && dpkg-checkbuilddeps) || { echo "apt-get install the build dependencies above"; return 1; }
	(cd "$src" && dpkg-buildpackage -us -uc) > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; return 1; }
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/build.log"	# dh_auto_test: the optimised suite
	ls "$work"/*.deb
	for p in libllambo0 libllambo-dev llambo; do
		[ -f "$work/${p}_${version}_$(dpkg --print-architecture).deb" ] || { echo "no $p package"; return 1; }
	done
}
step "dpkg-buildpackage -us -uc builds libllambo0, libllambo-dev, llambo" build
[ "$fail" -eq 0 ] || finish

lintian_errors() {
	lintian --pedantic -I "$work"/llambo_"${version}"_*.changes > "$work/lintian.log" 2>&1
	cat "$work/lintian.log"
	! grep -q '^E:' "$work/lintian.log"
}
step "lintian: no errors (warnings and notes above)" lintian_errors

# has DEB PATH...: the package holds each path
has() {
	deb=$1; shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$work/contents"
	for f in "$@"; do
		grep -qx "$f" "$work/contents" || { echo "$deb has no $f"; return 1; }
	done
}
contents() {
	a=$(dpkg --print-architecture) t=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	has "$work/libllambo0_${version}_$a.deb" "/usr/lib/$t/libllambo.so.$version" "/usr/lib/$t/libllambo.so.0" &&
	has "$work/libllambo-dev_${version}_$a.deb" /usr/include/llambo.h "/usr/lib/$t/libllambo.so" "/usr/lib/$t/libllambo.a" \
		"/usr/lib/$t/pkgconfig/llambo.pc" /usr/share/man/man3/llambo.3.gz /usr/share/man/man2/llambo.2.gz \
		/usr/share/llambo/inferno/llambo_c.m &&
	has "$work/llambo_${version}_$a.deb" /usr/bin/llambo /usr/bin/llambo-styx /usr/bin/llambo-9p \
		/lib/systemd/system/llambo-styx.service /etc/default/llambo-styx /var/lib/llambo/models/ \
		/usr/share/man/man1/llambo.1.gz /usr/share/man/man4/llambo-styx.4.gz
}
step "the packages hold the library, its soname link, the header, llambo.pc, the commands, the unit, the pages" contents

# --- 2, 3: clean chroots
if [ "$(id -u)" -ne 0 ] || ! command -v debootstrap >/dev/null || ! command -v unshare >/dev/null; then
	skipped 4 "the chroot checks need root, debootstrap and unshare (sh scripts/deps.sh deb)"
	finish
fi

# chroot_new NAME: a fresh minbase chroot at $work/NAME, with /proc and the host's resolver
chroot_new() {
	c=$work/$1
	if [ ! -f "$cache/$suite-minbase.tar" ]; then
		echo "debootstrap --variant=minbase $suite (once; kept in $cache)"
		mkdir -p "$cache" &&
		debootstrap --variant=minbase "$suite" "$work/base" "$mirror" > "$work/debootstrap.log" 2>&1 &&
		tar -C "$work/base" -cf "$cache/$suite-minbase.tar.tmp" . && mv "$cache/$suite-minbase.tar.tmp" "$cache/$suite-minbase.tar" ||
			{ tail -20 "$work/debootstrap.log"; rm -rf "$work/base"; return 1; }
		rm -rf "$work/base"
	fi
	mkdir -p "$c" && tar -C "$c" -xf "$cache/$suite-minbase.tar" || return 1
	cp /etc/resolv.conf "$c/etc/resolv.conf"
	mount -t proc proc "$c/proc"
}
in_chroot() {	# in_chroot NAME COMMAND: sh -c COMMAND inside it
	c=$work/$1; shift
	chroot "$c" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 /bin/sh -c "$*"
}
apt_in() {	# apt_in NAME PACKAGES...: install into the chroot, quietly
	n=$1; shift
	in_chroot "$n" "apt-get -qq update && apt-get -qq -y install $*" > "$work/apt-$n.log" 2>&1 ||
		{ tail -20 "$work/apt-$n.log"; return 1; }
}

install_debs() {
	chroot_new pkg || return 1
	mkdir -p "$work/pkg/tmp/debs" && cp "$work"/*.deb "$work/pkg/tmp/debs/" && rm -f "$work"/pkg/tmp/debs/*-dbgsym_*
	# systemd for systemd-analyze, man-db for the unit's Documentation= (verify runs man)
	apt_in pkg /tmp/debs/libllambo0_*.deb /tmp/debs/libllambo-dev_*.deb /tmp/debs/llambo_*.deb systemd man-db || return 1
	v=$(in_chroot pkg 'llambo --version') || return 1
	echo "llambo --version: $v"
	[ "$v" = "llambo $version" ] || return 1
	in_chroot pkg 'cd /tmp && llambo run -p "Once upon a time" -n 16 --temp 0'
}

verify_unit() {
	out=$(in_chroot pkg 'systemd-analyze verify /lib/systemd/system/llambo-styx.service' 2>&1); rc=$?
	echo "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}

# The unit's ExecStart with its EnvironmentFile, run as the shell would (systemd's
# ${VAR} is one word, $VAR split on spaces: the same as sh's "${VAR}" and $VAR).
unit_starts() {
	unit=$work/pkg/lib/systemd/system/llambo-styx.service
	exe=$(sed -n 's/^ExecStart=//p' "$unit") env=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
	echo "ExecStart=$exe"
	echo "EnvironmentFile=$env:"; grep -v '^#' "$work/pkg$env" | grep .
	exe=$(printf '%s' "$exe" | sed 's/\${\([A-Z_]*\)}/"${\1}"/g')
	in_chroot pkg 'llambo synth -o /var/lib/llambo/models/demo.gguf --n-layer 2 && llambo synth -o /tmp/outside.gguf --n-layer 2' 2>/dev/null || return 1
	unshare -n /bin/sh -s "$work" "$exe" "$env" <<-'EOF'
	work=$1 exe=$2 env=$3
	ip link set lo up || exit 1
	chroot "$work/pkg" /bin/sh -c "set -a; . $env; set +a; exec $exe" 2> "$work/styx.log" &
	pid=$!
	i=0
	until grep -qs 'serving 9P2000 on' "$work/styx.log"; do
		i=$((i + 1))
		[ $i -le 200 ] && kill -0 $pid 2>/dev/null || { echo "the server did not start:"; cat "$work/styx.log"; exit 1; }
		sleep 0.1
	done
	cat "$work/styx.log"
	c="chroot $work/pkg llambo-9p -a tcp!127.0.0.1!9999"
	ok=1
	echo 'load /var/lib/llambo/models/demo.gguf' | $c write ctl && text=$($c gen 0 'Once upon a time|8|0') &&
		[ -n "$text" ] && echo "generated over 9P: $text" || ok=0
	refused=$(echo 'load /tmp/outside.gguf' | $c write ctl 2>&1) && ok=0
	echo "a model outside the directory: $refused"
	case $refused in *"outside the model directories"*) ;; *) ok=0;; esac
	kill $pid; wait $pid
	[ $ok -eq 1 ]
	EOF
}
installed=$pass
step "a clean $suite chroot: apt installs the packages; llambo --version and the built-in model run" install_debs
if [ $pass -gt $installed ]; then
	step "systemd-analyze verify llambo-styx.service" verify_unit
	step "the unit's ExecStart starts the server: it loads from the model directory only, and generates" unit_starts
else
	skipped 2 "the packages did not install"
fi

fresh_machine() {
	chroot_new fresh || return 1
	copy_tree "$work/fresh/root/llambo" || return 1
	first=$(sed -n '/^## Two commands/,/^## /s/^    \(sh scripts\/deps.sh.*\)/\1/p' README.md)
	echo "README: $first"
	in_chroot fresh "cd /root/llambo && ($first) > /tmp/first.out 2> /tmp/first.err" || { tail -30 "$work/fresh/tmp/first.err"; return 1; }
	echo "stdout: $(cat "$work/fresh/tmp/first.out")"
	grep -q random "$work/fresh/tmp/first.err" || { echo "no word on standard error that the weights are random"; return 1; }
	in_chroot fresh 'cd /root/llambo && make -s install >/dev/null && cc -Wall -o /tmp/hello tests/install/hello.c $(pkg-config --cflags --libs llambo) &&
		llambo synth -o /tmp/m.gguf 2>/dev/null && want=$(llambo run -m /tmp/m.gguf -p "Once upon a time" -n 16 --temp 0 2>/dev/null) &&
		got=$(/tmp/hello /tmp/m.gguf "Once upon a time" 16) && echo "hello: $got" && [ -n "$got" ] && [ "$got" = "$want" ] &&
		ldd /tmp/hello | grep "libllambo.so.0 => /usr/local/lib/libllambo.so.0"'
}
step "a fresh $suite machine: README's first command, make install, a program built with pkg-config" fresh_machine
finish
