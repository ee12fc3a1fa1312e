# treeenv.sh - sourced by build-ffi.sh, deploy.sh and tests/inferno.sh: what kind
# of hosted Inferno tree INFERNO_ROOT is, for each variable the caller left unset.
#   SYSHOST  Linux
#   OBJTYPE  the emu's: 386, inferno-os's (a 32-bit emu), or amd64 or arm64,
#            infernode's (a 64-bit emu): the first with a built limbo in the tree
#   BASE     the emu configuration emu-llambo starts from: emu-g where the tree
#            has it (inferno-os), else emu (infernode's one configuration)
#   MKFILE   the emu's mkfile: infernode's headless mkfile-g where the tree has
#            it (its mkfile wants SDL3), else mkfile
SYSHOST=${SYSHOST:-Linux}
if [ -z "$OBJTYPE" ]; then
	OBJTYPE=386
	for o in 386 amd64 arm64; do
		if [ -n "$INFERNO_ROOT" ] && [ -x "$INFERNO_ROOT/$SYSHOST/$o/bin/limbo" ]; then
			OBJTYPE=$o
			break
		fi
	done
fi
if [ -z "$BASE" ]; then
	BASE=emu-g
	if [ -n "$INFERNO_ROOT" ] && [ ! -f "$INFERNO_ROOT/emu/$SYSHOST/emu-g" ] && [ -f "$INFERNO_ROOT/emu/$SYSHOST/emu" ]; then
		BASE=emu
	fi
fi
if [ -z "$MKFILE" ]; then
	MKFILE=mkfile
	if [ -n "$INFERNO_ROOT" ] && [ -f "$INFERNO_ROOT/emu/$SYSHOST/mkfile-g" ]; then
		MKFILE=mkfile-g
	fi
fi
