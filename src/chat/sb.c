/* sb.c - the growing string the render functions write into. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chat_impl.h"

void
sb_putn(Sb *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if(b->failed)
		return;
	if(n >= (size_t)-1 / 2 - b->len){
		b->failed = 1;
		return;
	}
	if(b->len + n + 1 > b->cap){
		cap = 2 * (b->len + n) + 64;
		if((p = realloc(b->s, cap)) == NULL){
			b->failed = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void
sb_put(Sb *b, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, b);
	while((s = va_arg(ap, const char *)) != NULL)
		sb_putn(b, s, strlen(s));
	va_end(ap);
}

/* C's isspace in the "C" locale, which std::isspace in llama-chat.cpp's trim() is */
static int
space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

void
sb_trim(Sb *b, const char *s)
{
	size_t n = strlen(s);

	while(n > 0 && space(*s)){
		s++;
		n--;
	}
	while(n > 0 && space(s[n - 1]))
		n--;
	sb_putn(b, s, n);
}

int
is(const char *s, const char *lit)
{
	return strcmp(s, lit) == 0;
}
