/*
 * inst.c - the [INST] formats: Llama 2 and its variants, Mistral v1/v3/v3-tekken
 * and v7/v7-tekken.  None has an assistant prompt: the turn ends with [/INST].
 */
#include "chat_impl.h"

/*
 * Llama 2: the first [INST] is already open; a system message goes inside it
 * (in <<SYS>> where the variant has it), each assistant message closes the turn.
 */
void
r_llama2(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	int inside = 1;
	size_t i;

	sb_put(b, "[INST] ", NULL);
	for(i = 0; i < n; i++){
		if(!inside){
			inside = 1;
			sb_put(b, v == LLAMA2_SYS_BOS ? "<s>[INST] " : "[INST] ", NULL);
		}
		if(is(m[i].role, "system"))
			sb_put(b, v != LLAMA2 ? "<<SYS>>\n" : "", NULL);
		if(v == LLAMA2_SYS_STRIP)
			sb_trim(b, m[i].content);
		else
			sb_put(b, m[i].content, NULL);
		if(is(m[i].role, "system"))
			sb_put(b, v != LLAMA2 ? "\n<</SYS>>\n\n" : "\n", NULL);
		else if(is(m[i].role, "user"))
			sb_put(b, " [/INST]", NULL);
		else{
			sb_put(b, "</s>", NULL);
			inside = 0;
		}
	}
}

/* Mistral v1 (a space before [INST] and [/INST]), v3 (assistant text trimmed), v3-tekken (no spaces). */
void
r_mistral(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	const char *lead = v == MISTRAL_V1 ? " " : "", *trail = v == MISTRAL_V3_TEKKEN ? "" : " ";
	int inside = 0;
	size_t i;

	for(i = 0; i < n; i++){
		if(!inside){
			sb_put(b, lead, "[INST]", trail, NULL);
			inside = 1;
		}
		if(is(m[i].role, "system"))
			sb_put(b, m[i].content, "\n\n", NULL);
		else if(is(m[i].role, "user"))
			sb_put(b, m[i].content, lead, "[/INST]", NULL);
		else{
			sb_put(b, trail, NULL);
			if(v == MISTRAL_V3)
				sb_trim(b, m[i].content);
			else
				sb_put(b, m[i].content, NULL);
			sb_put(b, "</s>", NULL);
			inside = 0;
		}
	}
}

/* Mistral v7: [SYSTEM_PROMPT] and [INST] blocks, with a space inside them (none for tekken). */
void
r_mistral_v7(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	const char *sp = v == MISTRAL_V7 ? " " : "";
	size_t i;

	for(i = 0; i < n; i++){
		if(is(m[i].role, "system"))
			sb_put(b, "[SYSTEM_PROMPT]", sp, m[i].content, "[/SYSTEM_PROMPT]", NULL);
		else if(is(m[i].role, "user"))
			sb_put(b, "[INST]", sp, m[i].content, "[/INST]", NULL);
		else
			sb_put(b, sp, m[i].content, "</s>", NULL);
	}
}
