/*
 * utf8.c - UTF-8 read the way llama.cpp reads it, and GPT-2's byte-to-unicode
 * table.  llama.cpp takes a character's length from its lead byte alone and,
 * when a sequence is broken, yields U+FFFD for one byte and goes on; the
 * tokenizers must cut text the same way to give the same tokens.
 */
#include "vocab_impl.h"

int
utf8_len(uint8_t lead)
{
	static const uint8_t len[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };

	return len[lead >> 4];
}

static int
cont(uint8_t c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * As unicode_cpt_from_utf8: overlong forms and surrogates are accepted; a
 * value above U+10FFFF (which llama.cpp cannot re-encode and throws on) is
 * taken as broken here.
 */
uint32_t
utf8_decode(const uint8_t *s, size_t n, size_t *used)
{
	uint32_t cp;

	*used = 1;
	if(s[0] < 0x80)
		return s[0];
	if((s[0] & 0xE0) == 0xC0){
		if(n < 2 || !cont(s[1]))
			return 0xFFFD;
		*used = 2;
		return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if((s[0] & 0xF0) == 0xE0){
		if(n < 3 || !cont(s[1]) || !cont(s[2]))
			return 0xFFFD;
		*used = 3;
		return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	}
	if((s[0] & 0xF8) == 0xF0){
		if(n < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3]))
			return 0xFFFD;
		cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
			(uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		if(cp > 0x10FFFF)
			return 0xFFFD;
		*used = 4;
		return cp;
	}
	return 0xFFFD;	/* a continuation byte, or 0xF8..0xFF */
}

int
utf8_encode(uint32_t cp, char *out)
{
	uint8_t *o = (uint8_t *)out;

	if(cp < 0x80){
		o[0] = cp;
		return 1;
	}
	if(cp < 0x800){
		o[0] = 0xC0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if(cp < 0x10000){
		o[0] = 0xE0 | cp >> 12;
		o[1] = 0x80 | (cp >> 6 & 0x3F);
		o[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	o[0] = 0xF0 | cp >> 18;
	o[1] = 0x80 | (cp >> 12 & 0x3F);
	o[2] = 0x80 | (cp >> 6 & 0x3F);
	o[3] = 0x80 | (cp & 0x3F);
	return 4;
}

/* Printable Latin-1 bytes stand for themselves; the other 68 take 256.. in byte order. */
static int
selfmapped(uint32_t b)
{
	return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

int
bytemap_encode(uint8_t b, char *out)
{
	uint32_t cp;

	if(selfmapped(b))
		cp = b;
	else if(b <= 0x20)
		cp = 256 + b;
	else if(b <= 0xA0)
		cp = 256 + 33 + (b - 0x7F);
	else
		cp = 256 + 33 + 34;	/* 0xAD */
	return utf8_encode(cp, out);
}

int
bytemap_decode(uint32_t cp)
{
	if(selfmapped(cp))
		return cp;
	if(cp >= 256 && cp < 256 + 33)
		return cp - 256;
	if(cp >= 256 + 33 && cp < 256 + 33 + 34)
		return cp - 256 - 33 + 0x7F;
	if(cp == 256 + 33 + 34)
		return 0xAD;
	return -1;
}

int32_t
sym_split(const char *text, uint32_t len, Sym *sym)
{
	uint32_t off = 0, n;
	int32_t i = 0;

	while(off < len){
		n = utf8_len((uint8_t)text[off]);
		if(n > len - off)
			n = len - off;
		sym[i].off = off;
		sym[i].n = n;
		sym[i].prev = i - 1;
		off += n;
		sym[i].next = off == len ? -1 : i + 1;
		i++;
	}
	return i;
}
