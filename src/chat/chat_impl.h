/*
 * chat_impl.h - what the files of src/chat share: a growing string, the
 * template table's entry, and the render functions (one per format, with a
 * variant number where llama.cpp folds several formats into one branch).
 */
#ifndef LB_CHAT_IMPL_H
#define LB_CHAT_IMPL_H

#include <stddef.h>

#include "chat.h"

/* A growing string; after a failed allocation every call does nothing and failed stays set. */
typedef struct Sb {
	char *s;
	size_t len, cap;
	int failed;
} Sb;

void sb_putn(Sb *b, const char *s, size_t n);
/* Appends every argument up to the terminating NULL. */
void sb_put(Sb *b, ...) __attribute__((sentinel));
/* Appends s without the whitespace (C isspace) at either end, as llama-chat.cpp's trim(). */
void sb_trim(Sb *b, const char *s);

typedef const llambo_chat_msg Msg;
typedef void Render(Sb *b, Msg *m, size_t n, int add_ass, int variant);

struct ChatTmpl {
	const char *name;
	Render *render;
	int variant;
	int hidden;	/* llama.cpp has no name for it: only its marks in a template text choose it */
};

const ChatTmpl *chat_lookup(const char *name);	/* chat_by_name, hidden ones too */

int is(const char *s, const char *lit);	/* strcmp(s, lit) == 0 */

/* inst.c: [INST] formats */
enum { LLAMA2, LLAMA2_SYS, LLAMA2_SYS_BOS, LLAMA2_SYS_STRIP };
enum { MISTRAL_V1, MISTRAL_V3, MISTRAL_V3_TEKKEN, MISTRAL_V7, MISTRAL_V7_TEKKEN };
Render r_llama2, r_mistral, r_mistral_v7;

/* turns.c: every message between markers that depend only on its role */
Render r_wrap, r_monarch, r_chatglm, r_deepseek_ocr, r_granite, r_openai_moe, r_kimi_k2, r_seed_oss;
enum { W_CHATML, W_PHI3, W_PHI4, W_FALCON3, W_ZEPHYR, W_LLAMA3, W_LLAMA4, W_MEGREZ, W_SOLAR_OPEN };	/* r_wrap's */
enum { CHATGLM3, CHATGLM4, GLMEDGE };
enum { GRANITE3, GRANITE4 };

/* roles.c: markers by role, other roles left out or written as one of the four */
Render r_roles;
enum { R_COMMAND_R, R_DEEPSEEK, R_DEEPSEEK2, R_DEEPSEEK3, R_EXAONE3, R_EXAONE4, R_EXAONE_MOE, R_DOTS1, R_GROK2,
	R_VICUNA, R_VICUNA_ORCA, R_YANDEX, R_SMOLVLM, R_HUNYUAN_MOE };

/* folded.c: formats that fold, rename or drop messages by their place in the conversation */
Render r_gemma, r_orion, r_openchat, r_minicpm, r_rwkv, r_gigachat, r_bailing, r_bailing2, r_hunyuan_dense,
	r_hunyuan_vl, r_pangu;
enum { BAILING, BAILING_THINK };

#endif
