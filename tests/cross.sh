#!/bin/sh
# The aarch64 build, cross-compiled (make CROSS=aarch64-linux-gnu, into build-aarch64/) and
# its tests run under qemu-user: every kernel tier an aarch64 CPU may get, each forced in turn
# with LLAMBO_KERNELS: dotprod (qemu's "max" CPU), neon (an emulated Cortex-A72, which has no
# dot product: the tier chosen there) and plain C.  Emulation is ten to a hundred times slower
# than the machine: the whole suite would take half an hour, so the slowest programs are
# left to the native builds and the golden tests run on a subset of the models, all printed
# below by name; the script's time is about two minutes on a quiet machine.  Skips, saying why, when the packages are missing
# (sh scripts/deps.sh installs them).  Ends with "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
T=aarch64-linux-gnu
B=build-aarch64
QEMU="qemu-aarch64"

missing=""
for c in clang $T-ld qemu-aarch64; do
	command -v $c >/dev/null 2>&1 || missing="$missing $c"
done
for f in /usr/lib/$T/libc.so /usr/lib/$T/libpcre2-8.so /usr/lib/$T/libcmocka.so /usr/lib/$T/libjansson.so; do
	[ -e $f ] || missing="$missing $f"
done
[ -n "$(ls /usr/lib/gcc-cross/$T/*/libgcc.a 2>/dev/null)" ] || missing="$missing libgcc-12-dev-arm64-cross"
if [ -n "$missing" ]; then
	echo "aarch64 under qemu: skipped, missing:$missing (sh scripts/deps.sh installs them)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

log=/tmp/llambo-cross-$$.log
if ! make -j2 CROSS=$T all >$log 2>&1; then
	cat $log
	rm -f $log
	echo "aarch64 cross build failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
rm -f $log

# The tests run the commands as $B/bin/NAME: there, NAME runs the aarch64 one under qemu.
W=$B/qemu
mkdir -p $W/bin
for c in llambo llambo-styx llambo-9p; do
	printf '#!/bin/sh\nexec %s %s/%s/bin/%s "$@"\n' "$QEMU" "$(pwd)" $B $c >$W/bin/$c
	chmod +x $W/bin/$c
done

# Under emulation these take minutes: golden runs on the models of the types with NEON kernels
# (on plain C on two of them), arch on two families (LLAMBO_TEST_CASES); the programs of
# LEFT_OUT (each 15 to 40 s of emulation: many generations, threads, whole models' tensors)
# are left to the native builds.  The kernels' own tests, every type in every tier and shape,
# all run.  neon is checked bit for bit against dotprod (test_shapes), so its golden run is left out.
GOLDEN="aidreams260K mini-llama-F16 mini-llama-Q8_0 mini-llama-Q4_0 mini-llama-Q4_K_M mini-llama-Q6_K"
GOLDEN_PLAIN="aidreams260K mini-llama-Q4_0"
ARCH="qwen3 qwen3moe-Q4_0"
LEFT_OUT="test_api test_arch_load test_batch test_kquants_model test_sched test_styx test_vocab_families"

all=""
for t in $B/tests/test_*; do
	case "$t" in *.o|*.d) continue;; esac
	case " $LEFT_OUT " in *" ${t##*/} "*) continue;; esac
	all="$all $t"
done
echo "left out under qemu (run natively):$LEFT_OUT"
echo "test_golden on: $GOLDEN (plain C: $GOLDEN_PLAIN)"
echo "test_arch on: $ARCH"

pass=0 fail=0 skip=0
tally() {
	line=$(printf '%s\n' "$1" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	[ -n "$line" ] || { fail=$((fail + 1)); return; }
	set -- $line
	pass=$((pass + $1)); fail=$((fail + $3)); skip=$((skip + $5))
}
run() {	# run TIER QEMU_CPU CASES PROGRAMS...: the programs with that tier forced, on that CPU
	tier=$1 cpu=$2 cases=$3; shift 3
	echo "=== aarch64, $tier kernels (qemu -cpu $cpu):$(for t in "$@"; do printf ' %s' "${t##*/}"; done)"
	t0=$(date +%s)
	out=$(QEMU_CPU=$cpu LLAMBO_KERNELS=$tier LLAMBO_TEST_CASES="$cases" B=$W RUN="$QEMU" sh tests/run.sh "$@" 2>&1)
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^\[  SKIPPED  \] [a-z]|crashed|^[0-9]+ passed, ' || true
	echo "($(($(date +%s) - t0)) s)"
	tally "$out"
}
# the tier chosen at start: dotprod where the CPU has the dot product (getauxval), neon where not
for pair in cortex-a72:neon max:dotprod; do
	cpu=${pair%%:*} want=${pair#*:}
	got=$(QEMU_CPU=$cpu $W/bin/llambo info 2>/dev/null | grep -o '"simd":"[a-z0-9]*"')
	if [ "$got" = "\"simd\":\"$want\"" ]; then
		pass=$((pass + 1))
	else
		echo "qemu -cpu $cpu: llambo info says $got, want $want"
		fail=$((fail + 1))
	fi
done
# every program on the best tier; the kernels' tests on neon; golden on plain C too
K="$B/tests/test_quant $B/tests/test_kquants $B/tests/test_shapes $B/tests/test_iquants"
run dotprod max "$GOLDEN $ARCH" $all
run neon cortex-a72 "" $K
run plain max "$GOLDEN_PLAIN" $B/tests/test_golden
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
