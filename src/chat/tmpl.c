/*
 * tmpl.c - the table of llama.cpp's built-in chat templates, by name in its
 * order (LLM_CHAT_TEMPLATES is a std::map: sorted bytewise), and rendering.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "chat_impl.h"

static const ChatTmpl tmpls[] = {
	{ "bailing", r_bailing, BAILING, 0 },
	{ "bailing-think", r_bailing, BAILING_THINK, 0 },
	{ "bailing2", r_bailing2, 0, 0 },
	{ "chatglm3", r_chatglm, CHATGLM3, 0 },
	{ "chatglm4", r_chatglm, CHATGLM4, 0 },
	{ "chatml", r_wrap, W_CHATML, 0 },
	{ "command-r", r_roles, R_COMMAND_R, 0 },
	{ "deepseek", r_roles, R_DEEPSEEK, 0 },
	{ "deepseek-ocr", r_deepseek_ocr, 0, 0 },
	{ "deepseek2", r_roles, R_DEEPSEEK2, 0 },
	{ "deepseek3", r_roles, R_DEEPSEEK3, 0 },
	{ "exaone-moe", r_roles, R_EXAONE_MOE, 0 },
	{ "exaone3", r_roles, R_EXAONE3, 0 },
	{ "exaone4", r_roles, R_EXAONE4, 0 },
	{ "falcon3", r_wrap, W_FALCON3, 0 },
	{ "gemma", r_gemma, 0, 0 },
	{ "gigachat", r_gigachat, 0, 0 },
	{ "glmedge", r_chatglm, GLMEDGE, 0 },
	{ "gpt-oss", r_openai_moe, 0, 0 },
	{ "granite", r_granite, GRANITE3, 0 },
	{ "granite-4.0", r_granite, GRANITE4, 0 },
	{ "granite-4.1", r_granite, GRANITE4, 0 },
	{ "grok-2", r_roles, R_GROK2, 0 },
	{ "hunyuan-dense", r_hunyuan_dense, 0, 0 },
	{ "hunyuan-moe", r_roles, R_HUNYUAN_MOE, 0 },
	{ "hunyuan-vl", r_hunyuan_vl, 0, 0 },
	{ "kimi-k2", r_kimi_k2, 0, 0 },
	{ "llama2", r_llama2, LLAMA2, 0 },
	{ "llama2-sys", r_llama2, LLAMA2_SYS, 0 },
	{ "llama2-sys-bos", r_llama2, LLAMA2_SYS_BOS, 0 },
	{ "llama2-sys-strip", r_llama2, LLAMA2_SYS_STRIP, 0 },
	{ "llama3", r_wrap, W_LLAMA3, 0 },
	{ "llama4", r_wrap, W_LLAMA4, 0 },
	{ "megrez", r_wrap, W_MEGREZ, 0 },
	{ "minicpm", r_minicpm, 0, 0 },
	{ "mistral-v1", r_mistral, MISTRAL_V1, 0 },
	{ "mistral-v3", r_mistral, MISTRAL_V3, 0 },
	{ "mistral-v3-tekken", r_mistral, MISTRAL_V3_TEKKEN, 0 },
	{ "mistral-v7", r_mistral_v7, MISTRAL_V7, 0 },
	{ "mistral-v7-tekken", r_mistral_v7, MISTRAL_V7_TEKKEN, 0 },
	{ "monarch", r_monarch, 0, 0 },
	{ "openchat", r_openchat, 0, 0 },
	{ "orion", r_orion, 0, 0 },
	{ "pangu-embedded", r_pangu, 0, 0 },
	{ "phi3", r_wrap, W_PHI3, 0 },
	{ "phi4", r_wrap, W_PHI4, 0 },
	{ "rwkv-world", r_rwkv, 0, 0 },
	{ "seed_oss", r_seed_oss, 0, 0 },
	{ "smolvlm", r_roles, R_SMOLVLM, 0 },
	{ "solar-open", r_wrap, W_SOLAR_OPEN, 0 },
	{ "vicuna", r_roles, R_VICUNA, 0 },
	{ "vicuna-orca", r_roles, R_VICUNA_ORCA, 0 },
	{ "yandex", r_roles, R_YANDEX, 0 },
	{ "zephyr", r_wrap, W_ZEPHYR, 0 },
	{ "dots1", r_roles, R_DOTS1, 1 },
};

enum { NTMPL = sizeof tmpls / sizeof tmpls[0] };

const ChatTmpl *
chat_lookup(const char *name)
{
	for(size_t i = 0; i < NTMPL; i++)
		if(is(tmpls[i].name, name))
			return &tmpls[i];
	return NULL;
}

const ChatTmpl *
chat_by_name(const char *name)
{
	const ChatTmpl *t = chat_lookup(name);

	return t != NULL && !t->hidden ? t : NULL;
}

const char *
chat_name(const ChatTmpl *t)
{
	return t->name;
}

int
chat_builtin_names(const char **names, int max)
{
	int n = 0;

	for(size_t i = 0; i < NTMPL; i++)
		if(!tmpls[i].hidden){
			if(n < max)
				names[n] = tmpls[i].name;
			n++;
		}
	return n;
}

char *
chat_render(const ChatTmpl *t, const llambo_chat_msg *msgs, size_t n, int add_ass, size_t *len)
{
	Sb b = { 0 };

	for(size_t i = 0; i < n; i++)
		if(msgs[i].role == NULL || msgs[i].content == NULL){
			lb_err("chat message %zu has no %s", i, msgs[i].role == NULL ? "role" : "content");
			return NULL;
		}
	sb_putn(&b, "", 0);	/* an empty conversation is "", not NULL */
	t->render(&b, msgs, n, add_ass, t->variant);
	if(b.failed){
		free(b.s);
		lb_err("out of memory");
		return NULL;
	}
	if(len != NULL)
		*len = b.len;
	return b.s;
}
