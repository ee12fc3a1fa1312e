/*
 * folded.c - formats that fold a system message into the next user turn,
 * rename roles, or treat a message by its place in the conversation.
 */
#include <stdlib.h>

#include "chat_impl.h"

/* google/gemma-7b-it: no system role, so the system text opens the next user turn; "assistant" is "model" */
void
r_gemma(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	Sb sys = { 0 };
	const char *role;

	for(size_t i = 0; i < n; i++){
		if(is(m[i].role, "system")){
			sb_trim(&sys, m[i].content);
			continue;
		}
		role = is(m[i].role, "assistant") ? "model" : m[i].role;
		sb_put(b, "<start_of_turn>", role, "\n", NULL);
		if(sys.len > 0 && !is(role, "model")){
			sb_putn(b, sys.s, sys.len);
			sb_put(b, "\n\n", NULL);
			sys.len = 0;
		}
		sb_trim(b, m[i].content);
		sb_put(b, "<end_of_turn>\n", NULL);
	}
	if(add_ass)
		sb_put(b, "<start_of_turn>model\n", NULL);
	b->failed |= sys.failed;
	free(sys.s);
}

/* OrionStarAI/Orion-14B-Chat: the system text opens the next user turn */
void
r_orion(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	Sb sys = { 0 };

	for(size_t i = 0; i < n; i++){
		if(is(m[i].role, "system"))
			sb_put(&sys, m[i].content, NULL);
		else if(is(m[i].role, "user")){
			sb_put(b, "Human: ", NULL);
			if(sys.len > 0){
				sb_putn(b, sys.s, sys.len);
				sb_put(b, "\n\n", NULL);
				sys.len = 0;
			}
			sb_put(b, m[i].content, "\n\nAssistant: </s>", NULL);
		}else
			sb_put(b, m[i].content, "</s>", NULL);
	}
	b->failed |= sys.failed;
	free(sys.s);
}

/* openchat/openchat-3.5-0106: "GPT4 Correct User:", the role's first letter in capitals */
void
r_openchat(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		const char *r = m[i].role;
		char first[2] = { r[0] >= 'a' && r[0] <= 'z' ? r[0] - 'a' + 'A' : r[0], 0 };
		if(is(r, "system"))
			sb_put(b, m[i].content, "<|end_of_turn|>", NULL);
		else
			sb_put(b, "GPT4 Correct ", first, r[0] != 0 ? r + 1 : "", ": ", m[i].content, "<|end_of_turn|>", NULL);
	}
	if(add_ass)
		sb_put(b, "GPT4 Correct Assistant:", NULL);
}

/* MiniCPM-3B-OpenHermes-2.5-v2: only the user turns are marked */
void
r_minicpm(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		int user = is(m[i].role, "user");
		sb_put(b, user ? "<用户>" : "", NULL);
		sb_trim(b, m[i].content);
		sb_put(b, user ? "<AI>" : "", NULL);
	}
}

/* RWKV World: "\n\n" ends a turn; a user message that is last is followed by "Assistant:" */
void
r_rwkv(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		const char *r = m[i].role;
		const char *who = is(r, "system") ? "System: " : is(r, "user") ? "User: " : is(r, "assistant") ? "Assistant: " : NULL;
		if(who == NULL)
			continue;
		sb_put(b, who, NULL);
		sb_trim(b, m[i].content);
		sb_put(b, "\n\n", NULL);
		if(is(r, "user") && i == n - 1)
			sb_put(b, "Assistant:", NULL);
	}
}

/* GigaChat: a leading system message goes into the first block */
void
r_gigachat(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	size_t i = n > 0 && is(m[0].role, "system");

	sb_put(b, "<s>", NULL);
	if(i)
		sb_put(b, m[0].content, "<|message_sep|>", NULL);
	for(; i < n; i++){
		if(is(m[i].role, "user"))
			sb_put(b, "user<|role_sep|>", m[i].content, "<|message_sep|>available functions<|role_sep|>[]<|message_sep|>", NULL);
		else if(is(m[i].role, "assistant"))
			sb_put(b, "assistant<|role_sep|>", m[i].content, "<|message_sep|>", NULL);
	}
	if(add_ass)
		sb_put(b, "assistant<|role_sep|>", NULL);
}

/* The role in ASCII capitals, "user" as HUMAN (Bailing). */
static void
bailing_role(Sb *b, const char *r)
{
	char c;

	if(is(r, "user")){
		sb_put(b, "<role>HUMAN</role>", NULL);
		return;
	}
	sb_put(b, "<role>", NULL);
	for(; *r != 0; r++){
		c = *r >= 'a' && *r <= 'z' ? *r - 'a' + 'A' : *r;
		sb_putn(b, &c, 1);
	}
	sb_put(b, "</role>", NULL);
}

/* Bailing (Ling/Ring), and the thinking variant that opens <think> */
void
r_bailing(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		bailing_role(b, m[i].role);
		sb_put(b, m[i].content, NULL);
	}
	if(add_ass)
		sb_put(b, "<role>ASSISTANT</role>", v == BAILING_THINK ? "<think>" : "", NULL);
}

/* Bailing 2 (Ling 2.0): a default system message when there is none first */
void
r_bailing2(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	if(n == 0 || !is(m[0].role, "system"))
		sb_put(b, "<role>SYSTEM</role>detailed thinking off<|role_end|>", NULL);
	for(size_t i = 0; i < n; i++){
		bailing_role(b, m[i].role);
		sb_put(b, m[i].content, "<|role_end|>", NULL);
	}
	if(add_ass)
		sb_put(b, "<role>ASSISTANT</role>", NULL);
}

/* tencent/Hunyuan-4B-Instruct: only a first system message counts; a user turn opens the assistant's */
void
r_hunyuan_dense(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	for(size_t i = 0; i < n; i++){
		if(i == 0 && is(m[i].role, "system"))
			sb_put(b, m[i].content, "<｜hy_place▁holder▁no▁3｜>", NULL);
		if(is(m[i].role, "assistant"))
			sb_put(b, "<｜hy_Assistant｜>", m[i].content, "<｜hy_place▁holder▁no▁2｜>", NULL);
		else if(is(m[i].role, "user"))
			sb_put(b, "<｜hy_User｜>", m[i].content, "<｜hy_Assistant｜>", NULL);
	}
}

/* tencent/HunyuanOCR and HunyuanVL: each mark follows its content */
void
r_hunyuan_vl(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	sb_put(b, "<｜hy_begin▁of▁sentence｜>", NULL);
	for(size_t i = 0; i < n; i++){
		if(i == 0 && is(m[i].role, "system"))
			sb_put(b, m[i].content, "<｜hy_place▁holder▁no▁3｜>", NULL);
		else if(is(m[i].role, "user"))
			sb_put(b, m[i].content, "<｜hy_User｜>", NULL);
		else if(is(m[i].role, "assistant"))
			sb_put(b, m[i].content, "<｜hy_Assistant｜>", NULL);
	}
}

/* openPangu-Embedded: an empty system block when the first message is not one */
void
r_pangu(Sb *b, Msg *m, size_t n, int add_ass, int v)
{
	static const char *const who[][2] = {
		{ "system", "系统：" }, { "user", "用户：" }, { "assistant", "助手：" }, { "tool", "工具：" }, { "function", "方法：" },
	};

	for(size_t i = 0; i < n; i++){
		if(i == 0 && !is(m[i].role, "system"))
			sb_put(b, "[unused9]系统：[unused10]", NULL);
		for(size_t k = 0; k < sizeof who / sizeof who[0]; k++)
			if(is(m[i].role, who[k][0]))
				sb_put(b, "[unused9]", who[k][1], m[i].content, "[unused10]", NULL);
	}
	if(add_ass)
		sb_put(b, "[unused9]助手：", NULL);
}
