#!/bin/sh
# Runs the test programs named as arguments, or every one in $B/tests (cmocka), then
# prints one summary line.
# Tests that need ../shared (models, goldens, tokenizer vectors) skip cleanly when it is absent.
B=${B:-build}
# RUN: what runs each program (tests/cross.sh: qemu-aarch64); empty, the programs themselves
RUN=${RUN:-}
# cmocka's group summaries "[  PASSED  ] N test(s)." (skipped ones not included), summed over a program's groups
count() { printf '%s\n' "$2" | grep -o "\[  $1 *\] [0-9]* test" | grep -o '[0-9]*' | awk '{ n += $1 } END { print n + 0 }'; }
pass=0 fail=0 skip=0 bad=""
# The tests' files (tmp_path) go in a directory of this run's, removed at its end: a test killed
# midway leaves nothing behind in /tmp.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/llambo-run.XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
trap 'exit 130' INT TERM
[ $# -gt 0 ] || set -- "$B"/tests/test_*
for t in "$@"; do
	case "$t" in *.o|*.d) continue;; esac
	[ -x "$t" ] || continue
	out=$($RUN "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(count PASSED "$out"); f=$(count FAILED "$out"); s=$(count SKIPPED "$out")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + s))
	if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		fail=$((fail + 1)); bad="$bad $t(exit $rc)"
	fi
done
[ -n "$bad" ] && echo "crashed or exited non-zero:$bad"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
