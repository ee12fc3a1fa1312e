#!/bin/sh
# deploy.sh test-ffi | test-styx | test-net | test-host | test-llm | test-request | emu [args...]
#
#   test-ffi   runs /dis/test-ffi.dis (the $Llambo_c suite) inside emu-llambo
#   test-request  runs /dis/test-request.dis: the request vectors
#              (tests/requests.txt) read by the Limbo module's Request.parse
#   test-styx  mounts {llambo_styx} at /n/llambo inside emu-llambo and runs
#              /dis/test-styx.dis: the seed's ctl/data/info lines, streaming,
#              flush, errors, and the same text as $Llambo_c
#   test-net   two emus: the first serves llambo_styx with styxlisten on a
#              loopback TCP port; the second mounts it with mount -A and
#              runs the seed's Distributed Example
#   test-host  the native server build/bin/llambo-styx on the host, mounted
#              with mount {os ... -i >[1=0]}, through the same suite
#   test-llm   the native server on a loopback port, its conversations mounted
#              as infernode mounts its llmsrv (mount -A ... llm) and driven by
#              infernode's README script: id=`{cat new}; echo ... > $id/ask;
#              cat $id/ask; then a two-line conversation through /dis/chat.dis,
#              and /dis/test-session.dis (llambo.m's Session) on its sessions
#   emu        starts emu-llambo on this terminal
#
# Each test runs emu without a console, prints what the suite printed and
# exits with its result (0 passed).  Needs INFERNO_ROOT and a
# ./build-ffi.sh build.  The model is LLAMBO_MODEL, by default
# models/aidreams260K.gguf in LLAMBO_SHARED or ../shared, as the C tests
# find it (a host path).  LLAMBO_EMUFLAGS adds
# emu options (for example -pmain=268435456 for a bigger malloc pool).
set -e
cd "$(dirname "$0")"
REPO=$(pwd)
. inferno/treeenv.sh	# SYSHOST, OBJTYPE: those of INFERNO_ROOT
TIMEOUT=${TIMEOUT:-300}

[ -n "$INFERNO_ROOT" ] || { echo "deploy.sh: set INFERNO_ROOT to your Inferno tree (see BUILD-FFI.md)" >&2; exit 2; }
EMU=$INFERNO_ROOT/$SYSHOST/$OBJTYPE/bin/emu-llambo
[ -x "$EMU" ] || { echo "deploy.sh: no $EMU: run ./build-ffi.sh build first" >&2; exit 2; }
MODEL=${LLAMBO_MODEL:-${LLAMBO_SHARED:-$REPO/../shared}/models/aidreams260K.gguf}
if [ -f "$MODEL" ]; then
	MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
else
	echo "deploy.sh: no model at $MODEL: the checks that need one are skipped"
	MODEL=
fi
# a model whose generations run for seconds, for the flush check
SLOWMODEL=${LLAMBO_SLOWMODEL:-$(dirname "${MODEL:-.}")/mini-llama-Q8_0.gguf}
SLOW=
[ -n "$MODEL" ] && [ -f "$SLOWMODEL" ] && SLOW="-f $SLOWMODEL"

# runemu CMD: run the Inferno shell command CMD in a fresh emu-llambo with
# no console; emu exits through /dev/sysctl, which kills its process
# group, so it gets a session of its own.
runemu() {
	# (emu's console output goes to stdout; run in the background so that
	# the shell's note that the halted emu was "Killed" can be dropped)
	setsid timeout "$TIMEOUT" "$EMU" $LLAMBO_EMUFLAGS -r"$INFERNO_ROOT" /dis/sh.dis \
		-c "$1; echo halt > /dev/sysctl" < /dev/null 2>&1 &
	wait $! 2>/dev/null || true
}

# result FILE: the suite's verdict, written through '#U'
result() {
	if [ "$(cat "$1" 2>/dev/null)" = pass ]; then
		echo "deploy.sh: $2 passed"
		rm -f "$1"
		exit 0
	fi
	echo "deploy.sh: $2 FAILED"
	rm -f "$1"
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "$1" in
test-ffi)
	runemu "/dis/test-ffi.dis -o '#U*$tmp/result' $MODEL"
	result "$tmp/result" test-ffi
	;;
test-styx)
	runemu "mount {llambo_styx} /n/llambo; /dis/test-styx.dis $SLOW -o '#U*$tmp/result' /n/llambo $MODEL"
	result "$tmp/result" test-styx
	;;
test-net)
	[ -n "$MODEL" ] || { echo "deploy.sh: test-net needs a model"; exit 1; }
	port=${PORT:-$((20000 + $$ % 20000))}
	# the server: llambo_styx on the network, the model loaded through a local mount
	setsid timeout "$TIMEOUT" "$EMU" $LLAMBO_EMUFLAGS -r"$INFERNO_ROOT" /dis/sh.dis -c "
		mount {llambo_styx} /n/llambo;
		echo 'load $MODEL 1 0' > /n/llambo/ctl;
		styxlisten -A tcp!127.0.0.1!$port {llambo_styx -m $(dirname "$MODEL")};
		echo listening > '#U*$tmp/ready';
		sleep 3600" < /dev/null > "$tmp/server.log" 2>&1 &
	server=$!
	i=0
	while [ ! -f "$tmp/ready" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	runemu "mount -A tcp!127.0.0.1!$port /n/llambo; /dis/test-styx.dis -n $SLOW -o '#U*$tmp/result' /n/llambo $MODEL"
	kill -- -"$server" 2>/dev/null || kill "$server" 2>/dev/null || true
	cat "$tmp/server.log"
	result "$tmp/result" test-net
	;;
test-llm)
	[ -n "$MODEL" ] || { echo "deploy.sh: test-llm needs a model"; exit 1; }
	server=$REPO/build/bin/llambo-styx
	[ -x "$server" ] || { echo "deploy.sh: no $server: run make" >&2; exit 2; }
	port=${PORT:-$((20000 + $$ % 20000))}
	setsid timeout "$TIMEOUT" "$server" -a "tcp!127.0.0.1!$port" -l "$MODEL" < /dev/null > "$tmp/server.log" 2>&1 &
	server=$!
	i=0
	while ! grep -q serving "$tmp/server.log" && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	# /n/llambo is the mount point the tree has (infernode's is /n/llm)
	runemu "mount -A tcp!127.0.0.1!$port /n/llambo llm; id=\`{cat /n/llambo/new};
		echo 'What is the capital of France' > /n/llambo/\$id/ask; cat /n/llambo/\$id/ask > '#U*$tmp/ask';
		cat /n/llambo/\$id/context > '#U*$tmp/context'; echo close > /n/llambo/\$id/ctl;
		/dis/chat.dis -d /n/llambo -t 0 -n 8 < '#U*$REPO/tests/data/chat/two-lines.txt' > '#U*$tmp/chat';
		/dis/test-session.dis -o '#U*$tmp/session' /n/llambo"
	kill -- -"$server" 2>/dev/null || kill "$server" 2>/dev/null || true
	want='[{"role":"user","content":"What is the capital of France"},{"role":"assistant","content":'
	# chat: a reply and a newline for each of the input's two lines
	# and test-session: llambo.m's Session on the same server
	if [ -s "$tmp/ask" ] && [ "$(head -c ${#want} "$tmp/context")" = "$want" ] && [ "$(grep -c '' "$tmp/chat")" -ge 2 ] \
	&& [ "$(cat "$tmp/session" 2>/dev/null)" = pass ]; then
		echo pass > "$tmp/result"
	else
		echo "ask gave: $(cat "$tmp/ask" 2>/dev/null); context: $(cat "$tmp/context" 2>/dev/null)"; cat "$tmp/server.log"
	fi
	result "$tmp/result" test-llm
	;;
test-request)
	runemu "/dis/test-request.dis -o '#U*$tmp/result' '#U*$REPO/tests/requests.txt'"
	result "$tmp/result" test-request
	;;
test-host)
	server=$REPO/build/bin/llambo-styx
	[ -x "$server" ] || { echo "deploy.sh: no $server: run make" >&2; exit 2; }
	runemu "mount {os $server -i >[1=0]} /n/llambo; /dis/test-styx.dis -e $SLOW -o '#U*$tmp/result' /n/llambo $MODEL"
	result "$tmp/result" test-host
	;;
emu)
	shift
	exec "$EMU" $LLAMBO_EMUFLAGS -r"$INFERNO_ROOT" "$@"
	;;
*)
	echo "usage: ./deploy.sh test-ffi | test-styx | test-net | test-host | test-request | emu [emu args]" >&2
	exit 2
	;;
esac
