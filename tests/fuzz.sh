#!/bin/sh
# The libFuzzer harnesses of tests/fuzz (built by make FUZZ=1 fuzz into build-fuzz/fuzz/),
# each run for FUZZ_SECONDS (default 12: 84 s for all seven) on its committed seed
# corpus, tests/fuzz/corpus/NAME, with tests/fuzz/NAME.dict when there is one.  What a run
# finds goes to a scratch corpus, or to FUZZ_CORPUS/NAME to keep it (the long campaign:
# tests/fuzz/README.md).  A crash, leak, timeout or out-of-memory fails the harness, and the
# input that did it is kept as build-fuzz/crashes/NAME-*.  FUZZ_ONLY=NAME runs one.
# Ends with "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
secs=${FUZZ_SECONDS:-12}
pass=0 fail=0 skip=0
if ! command -v clang >/dev/null 2>&1; then
	echo "skipped: no clang, so no libFuzzer harnesses (scripts/deps.sh installs it)"
	echo "fuzz: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
log=$(mktemp)
if ! make -j2 FUZZ=1 fuzz >"$log" 2>&1; then
	cat "$log"
	rm -f "$log"
	echo "fuzz: the harnesses did not build"
	echo "fuzz: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
mkdir -p build-fuzz/crashes
for f in build-fuzz/fuzz/fuzz_*; do
	name=${f##*/fuzz_}
	[ -z "$FUZZ_ONLY" ] || [ "$FUZZ_ONLY" = "$name" ] || continue
	if [ -n "$FUZZ_CORPUS" ]; then
		work=$FUZZ_CORPUS/$name
		mkdir -p "$work"
	else
		work=$(mktemp -d)
	fi
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
	if "$f" -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 $dict \
		-artifact_prefix="build-fuzz/crashes/$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   fuzz_$name: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*/\1 runs, /; s/ lim:.*//')"
	else
		fail=$((fail + 1))
		echo "FAIL fuzz_$name:"
		grep -E 'ERROR|SUMMARY|fuzz_|Test unit written|^    #[0-9]' "$log" | head -40
	fi
	[ -n "$FUZZ_CORPUS" ] || rm -rf "$work"
done
rm -f "$log"
echo "fuzz: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
