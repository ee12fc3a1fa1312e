/*
 * fuzz_9p.c - libFuzzer harness for the 9P2000 message decoder (src/styx/fcall.c):
 * any bytes as one framed message.  An accepted message must pack back to the
 * very same bytes (9P has one encoding of each message), its trace line must
 * format, and a stat entry it carries must do the same; a refusal must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/styx/fcall.h"
#include "../../src/util/error.h"

static void
dir(const uint8_t *buf, size_t n)
{
	uint8_t out[65536 + 2];
	StyxDir d;

	lb_errclear();
	if(styx_unpackdir(buf, n, &d) < 0){
		if(lb_errstr()[0] == 0)
			abort();	/* a refusal without a reason */
		return;
	}
	if(styx_packdir(&d, out, sizeof out) != n || memcmp(out, buf, n) != 0)
		abort();	/* a stat entry that does not pack back as it came */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	StyxFcall f;
	uint8_t *out;
	char line[512];
	size_t n;

	dir(data, size);
	lb_errclear();
	if(styx_unpack(data, size, &f) < 0){
		if(lb_errstr()[0] == 0)
			abort();
		return 0;
	}
	styx_fmt(line, sizeof line, &f);
	n = styx_packsize(&f);
	out = malloc(n > 0 ? n : 1);
	if(out == NULL)
		return 0;
	if(n != size || styx_pack(&f, out, n) != n || memcmp(out, data, size) != 0)
		abort();	/* a message that does not pack back as it came */
	free(out);
	if(f.type == STYX_RSTAT || f.type == STYX_TWSTAT)
		dir(f.stat, f.nstat);
	return 0;
}
