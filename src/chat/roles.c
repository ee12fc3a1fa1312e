/*
 * roles.c - formats whose markers depend only on the role: system, user,
 * assistant and tool each have their own before and after; another role is
 * left out or written as one of those four.
 */
#include "chat_impl.h"

enum { SYS, USER, ASS, TOOL, SKIP = -1 };

typedef struct Roles {
	const char *head;	/* once, before the first message */
	const char *pre[4], *post[4];	/* by role; pre NULL: that role is treated as another one */
	int other;	/* what another role is written as, or SKIP */
	int trim;	/* the roles (1 << SYS ...) whose content is trimmed */
	const char *gen;	/* the assistant's prompt; NULL: the format has none */
} Roles;

#define ALL (1 << SYS | 1 << USER | 1 << ASS | 1 << TOOL)

static const Roles roles[] = {
	/* CohereForAI/c4ai-command-r-plus */
	[R_COMMAND_R] = { "", { "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>",
		"<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", NULL }, { "<|END_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>",
		"<|END_OF_TURN_TOKEN|>", NULL }, SKIP, ALL, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>" },
	/* deepseek-ai/deepseek-coder-33b-instruct */
	[R_DEEPSEEK] = { "", { "", "### Instruction:\n", "### Response:\n", NULL }, { "", "\n", "\n<|EOT|>\n", NULL },
		SKIP, 0, "### Response:\n" },
	[R_DEEPSEEK2] = { "", { "", "User: ", "Assistant: ", NULL }, { "\n\n", "\n\n", "<｜end▁of▁sentence｜>", NULL },
		SKIP, 0, "Assistant:" },
	[R_DEEPSEEK3] = { "", { "", "<｜User｜>", "<｜Assistant｜>", NULL }, { "\n\n", "", "<｜end▁of▁sentence｜>", NULL },
		SKIP, 0, "<｜Assistant｜>" },
	/* EXAONE 3 (no end mark after the user, no tool), 4, and the MoE one */
	[R_EXAONE3] = { "", { "[|system|]", "[|user|]", "[|assistant|]", NULL },
		{ "[|endofturn|]\n", "\n", "[|endofturn|]\n", NULL }, SKIP, ALL, "[|assistant|]" },
	[R_EXAONE4] = { "", { "[|system|]", "[|user|]", "[|assistant|]", "[|tool|]" },
		{ "[|endofturn|]\n", "\n", "[|endofturn|]\n", "[|endofturn|]\n" }, SKIP, ALL, "[|assistant|]" },
	[R_EXAONE_MOE] = { "", { "<|system|>\n", "<|user|>\n", "<|assistant|>\n", "<|tool|>\n" },
		{ "<|endofturn|>\n", "<|endofturn|>\n", "<|endofturn|>\n", "<|endofturn|>\n" }, SKIP, ALL, "<|assistant|>\n" },
	/* dots.llm1.inst */
	[R_DOTS1] = { "", { "<|system|>", "<|userprompt|>", "<|response|>", NULL },
		{ "<|endofsystem|>", "<|endofuserprompt|>", "<|endofresponse|>", NULL }, ASS, 0, "<|response|>" },
	[R_GROK2] = { "", { "System: ", "Human: ", "Assistant: ", NULL },
		{ "<|separator|>\n\n", "<|separator|>\n\n", "<|separator|>\n\n", NULL }, SKIP, 1 << SYS | 1 << USER, "Assistant:" },
	/* eachadea/vicuna-13b-1.1, and the Orca variant with a SYSTEM: prefix */
	[R_VICUNA] = { "", { "", "USER: ", "ASSISTANT: ", NULL }, { "\n\n", "\n", "</s>\n", NULL }, SKIP, 0, "ASSISTANT:" },
	[R_VICUNA_ORCA] = { "", { "SYSTEM: ", "USER: ", "ASSISTANT: ", NULL }, { "\n", "\n", "</s>\n", NULL }, SKIP, 0, "ASSISTANT:" },
	/* Yandex: "\n\n" ends a turn; system messages are left out */
	[R_YANDEX] = { "", { NULL, " Пользователь: ", " Ассистент: ", NULL }, { NULL, "\n\n", "\n\n", NULL },
		SKIP, 0, " Ассистент:[SEP]" },
	/* SmolVLM: <|im_start|> once, as its BOS; every role but system and user is the assistant */
	[R_SMOLVLM] = { "<|im_start|>", { "", "User: ", "Assistant: ", NULL },
		{ "\n\n", "<end_of_utterance>\n", "<end_of_utterance>\n", NULL }, ASS, 0, "Assistant:" },
	/* tencent/Hunyuan-A13B-Instruct: unknown roles are users */
	[R_HUNYUAN_MOE] = { "", { "<|startoftext|>", "<|startoftext|>", "", NULL }, { "<|extra_4|>", "<|extra_0|>", "<|eos|>", NULL },
		USER, 0, NULL },
};

static int
slot(const Roles *f, const char *role)
{
	static const char *const names[] = { "system", "user", "assistant", "tool" };

	for(int k = 0; k < 4; k++)
		if(is(role, names[k]))
			return f->pre[k] != NULL ? k : f->other;
	return f->other;
}

void
r_roles(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	const Roles *f = &roles[v];
	int k;

	sb_put(b, f->head, NULL);
	for(size_t i = 0; i < n; i++){
		if((k = slot(f, m[i].role)) == SKIP)
			continue;
		sb_put(b, f->pre[k], NULL);
		if(f->trim & 1 << k)
			sb_trim(b, m[i].content);
		else
			sb_put(b, m[i].content, NULL);
		sb_put(b, f->post[k], NULL);
	}
	if(add_ass && f->gen != NULL)
		sb_put(b, f->gen, NULL);
}
