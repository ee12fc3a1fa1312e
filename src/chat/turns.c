/*
 * turns.c - formats in which every message is its role's markers around its
 * content, whatever its place in the conversation, then the assistant prompt.
 */
#include "chat_impl.h"

/*
 * The simplest shape: for every message pre, role, mid, content (trimmed where
 * trim is set), post; then gen, the assistant's prompt.
 */
typedef struct Wrap {
	const char *pre, *mid, *post, *gen;
	int trim;
} Wrap;

static const Wrap wraps[] = {
	[W_CHATML] = { "<|im_start|>", "\n", "<|im_end|>\n", "<|im_start|>assistant\n", 0 },
	[W_PHI3] = { "<|", "|>\n", "<|end|>\n", "<|assistant|>\n", 0 },
	[W_PHI4] = { "<|im_start|>", "<|im_sep|>", "<|im_end|>", "<|im_start|>assistant<|im_sep|>", 0 },
	[W_FALCON3] = { "<|", "|>\n", "\n", "<|assistant|>\n", 0 },
	[W_ZEPHYR] = { "<|", "|>\n", "<|endoftext|>\n", "<|assistant|>\n", 0 },
	[W_LLAMA3] = { "<|start_header_id|>", "<|end_header_id|>\n\n", "<|eot_id|>", "<|start_header_id|>assistant<|end_header_id|>\n\n", 1 },
	[W_LLAMA4] = { "<|header_start|>", "<|header_end|>\n\n", "<|eot|>", "<|header_start|>assistant<|header_end|>\n\n", 1 },
	[W_MEGREZ] = { "<|role_start|>", "<|role_end|>", "<|turn_end|>", "<|role_start|>assistant<|role_end|>", 0 },
	[W_SOLAR_OPEN] = { "<|begin|>", "<|content|>", "<|end|>", "<|begin|>assistant", 0 },
};

void
r_wrap(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	const Wrap *w = &wraps[v];

	for(size_t i = 0; i < n; i++){
		sb_put(b, w->pre, m[i].role, w->mid, NULL);
		if(w->trim)
			sb_trim(b, m[i].content);
		else
			sb_put(b, m[i].content, NULL);
		sb_put(b, w->post, NULL);
	}
	if(add_ass)
		sb_put(b, w->gen, NULL);
}

/* mlabonne/AlphaMonarch-7B: <s> before every message but the first */
void
r_monarch(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++)
		sb_put(b, i == 0 ? "" : "<s>", m[i].role, "\n", m[i].content, "</s>\n", NULL);
	if(add_ass)
		sb_put(b, "<s>assistant\n", NULL);
}

/* chatglm3 ("[gMASK]sop", "\n " before the content), chatglm4 ("[gMASK]<sop>") and glm-edge (no preamble) */
void
r_chatglm(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	sb_put(b, v == CHATGLM3 ? "[gMASK]sop" : v == CHATGLM4 ? "[gMASK]<sop>" : "", NULL);
	for(size_t i = 0; i < n; i++)
		sb_put(b, "<|", m[i].role, "|>", v == CHATGLM3 ? "\n " : "\n", m[i].content, NULL);
	if(add_ass)
		sb_put(b, v == CHATGLM4 ? "<|assistant|>\n" : "<|assistant|>", NULL);
}

/* deepseek-ocr: the contents alone */
void
r_deepseek_ocr(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++)
		sb_put(b, m[i].content, NULL);
}

/* IBM Granite 3.x; 4.0 and 4.1 write a tool call as the assistant's */
void
r_granite(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		int call = is(m[i].role, "assistant_tool_call");
		sb_put(b, "<|start_of_role|>", call && v == GRANITE4 ? "assistant" : m[i].role, "<|end_of_role|>",
			call ? "<|tool_call|>" : "", m[i].content, "<|end_of_text|>\n", NULL);
	}
	if(add_ass)
		sb_put(b, "<|start_of_role|>assistant<|end_of_role|>", NULL);
}

/* gpt-oss (Harmony) */
void
r_openai_moe(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++)
		sb_put(b, "<|start|>", m[i].role, "<|message|>", m[i].content,
			is(m[i].role, "assistant") ? "<|return|>" : "<|end|>", NULL);
	if(add_ass)
		sb_put(b, "<|start|>assistant", NULL);
}

/* moonshotai/Kimi-K2-Instruct: an unknown role gets no header, its content still goes in */
void
r_kimi_k2(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		const char *r = m[i].role;
		sb_put(b, is(r, "system") ? "<|im_system|>system<|im_middle|>" : is(r, "user") ? "<|im_user|>user<|im_middle|>" :
			is(r, "assistant") ? "<|im_assistant|>assistant<|im_middle|>" : is(r, "tool") ? "<|im_system|>tool<|im_middle|>" : "",
			m[i].content, "<|im_end|>", NULL);
	}
	if(add_ass)
		sb_put(b, "<|im_assistant|>assistant<|im_middle|>", NULL);
}

void
r_seed_oss(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		sb_put(b, "<seed:bos>", m[i].role, "\n", NULL);
		if(is(m[i].role, "assistant"))
			sb_trim(b, m[i].content);
		else
			sb_put(b, m[i].content, NULL);
		sb_put(b, "<seed:eos>", NULL);
	}
	if(add_ass)
		sb_put(b, "<seed:bos>assistant\n", NULL);
}

