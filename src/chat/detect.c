/*
 * detect.c - which built-in format a tokenizer.chat_template is, told by the
 * marks in its text, in the order of llama.cpp's llm_chat_detect_template
 * (the order matters: many templates carry several families' marks).
 */
#include <string.h>

#include "../util/error.h"
#include "chat_impl.h"

static int
has(const char *t, const char *needle)
{
	return strstr(t, needle) != NULL;
}

/* Mistral's and Llama 2's [INST] family. */
static const char *
inst(const char *t)
{
	if(has(t, "[SYSTEM_PROMPT]"))
		return "mistral-v7";
	if(has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]")){
		if(has(t, " [INST]"))
			return "mistral-v1";
		if(has(t, "\"[INST]\""))
			return "mistral-v3-tekken";
		return "mistral-v3";
	}
	if(has(t, "content.strip()"))
		return "llama2-sys-strip";
	if(has(t, "bos_token + '[INST]"))
		return "llama2-sys-bos";
	if(has(t, "<<SYS>>"))
		return "llama2-sys";
	return "llama2";
}

/* The chain of llm_chat_detect_template after the [INST] family. */
static const char *
marks(const char *t)
{
	if(has(t, "<|assistant|>") && has(t, "<|end|>"))
		return "phi3";
	if(has(t, "[gMASK]<sop>"))
		return "chatglm4";
	if(has(t, "<|assistant|>") && has(t, "<|user|>"))
		return has(t, "<|tool_declare|>") ? "exaone-moe" : has(t, "</s>") ? "falcon3" : "glmedge";
	if(has(t, "<|{{ item['role'] }}|>") && has(t, "<|begin_of_image|>"))
		return "glmedge";
	if(has(t, "<|user|>") && has(t, "<|endoftext|>"))
		return "zephyr";
	if(has(t, "bos_token + message['role']"))
		return "monarch";
	if(has(t, "<start_of_turn>"))
		return "gemma";
	if(has(t, "'\\n\\nAssistant: ' + eos_token"))
		return "orion";
	if(has(t, "GPT4 Correct "))
		return "openchat";
	if(has(t, "USER: ") && has(t, "ASSISTANT: "))
		return has(t, "SYSTEM: ") ? "vicuna-orca" : "vicuna";
	if(has(t, "### Instruction:") && has(t, "<|EOT|>"))
		return "deepseek";
	if(has(t, "<|START_OF_TURN_TOKEN|>") && has(t, "<|USER_TOKEN|>"))
		return "command-r";
	if(has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>"))
		return "llama3";
	if(has(t, "[gMASK]sop"))
		return "chatglm3";
	if(has(t, "<用户>"))
		return "minicpm";
	if(has(t, "'Assistant: ' + message['content'] + eos_token"))
		return "deepseek2";
	if(has(t, "<｜Assistant｜>") && has(t, "<｜User｜>") && has(t, "<｜end▁of▁sentence｜>"))
		return "deepseek3";
	if(has(t, "[|system|]") && has(t, "[|assistant|]") && has(t, "[|endofturn|]"))
		return has(t, "[|tool|]") ? "exaone4" : "exaone3";
	if(has(t, "rwkv-world") || has(t, "{{- 'User: ' + message['content']|trim + '\\n\\n' -}}"))
		return "rwkv-world";
	if(has(t, "<|start_of_role|>")){
		if(has(t, "<tool_call>") || has(t, "<tools>"))
			return has(t, "g4_default_system_message") ? "granite-4.0" : "granite-4.1";
		return "granite";
	}
	if(has(t, "message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"))
		return "gigachat";
	if(has(t, "<|role_start|>"))
		return "megrez";
	if(has(t, " Ассистент:"))
		return "yandex";
	if(has(t, "<role>ASSISTANT</role>") && has(t, "'HUMAN'"))
		return "bailing";
	if(has(t, "<role>ASSISTANT</role>") && has(t, "\"HUMAN\"") && has(t, "<think>"))
		return "bailing-think";
	if(has(t, "<role>ASSISTANT</role>") && has(t, "<role>HUMAN</role>") && has(t, "<|role_end|>"))
		return "bailing2";
	if(has(t, "<|header_start|>") && has(t, "<|header_end|>"))
		return "llama4";
	if(has(t, "<|endofuserprompt|>"))
		return "dots1";
	if(has(t, "<|extra_0|>") && has(t, "<|extra_4|>"))
		return "hunyuan-moe";
	if(has(t, "<|start|>") && has(t, "<|channel|>"))
		return "gpt-oss";
	if(has(t, "<｜hy_Assistant｜>") && has(t, "<｜hy_begin▁of▁sentence｜>"))
		return "hunyuan-vl";
	if(has(t, "<｜hy_Assistant｜>") && has(t, "<｜hy_place▁holder▁no▁3｜>"))
		return "hunyuan-dense";
	if(has(t, "<|im_assistant|>assistant<|im_middle|>"))
		return "kimi-k2";
	if(has(t, "<seed:bos>"))
		return "seed_oss";
	if(has(t, "'Assistant: '  + message['content'] + '<|separator|>"))
		return "grok-2";
	if(has(t, "[unused9]系统：[unused10]"))
		return "pangu-embedded";
	if(has(t, "<|begin|>") && has(t, "<|end|>") && has(t, "<|content|>"))
		return "solar-open";
	return NULL;
}

static const char *
detect(const char *t)
{
	if(has(t, "<|im_start|>"))
		return has(t, "<|im_sep|>") ? "phi4" : has(t, "<end_of_utterance>") ? "smolvlm" : "chatml";
	if(strncmp(t, "mistral", 7) == 0 || has(t, "[INST]"))
		return inst(t);
	return marks(t);
}

/* "it begins ..." for the error: the first line or 48 bytes, whichever is shorter. */
static int
excerpt(const char *s)
{
	int n = 0;

	while(n < 48 && s[n] != 0 && s[n] != '\n')
		n++;
	return n;
}

const ChatTmpl *
chat_detect(const char *tmpl)
{
	const ChatTmpl *t;
	const char *name;

	if(tmpl == NULL){
		lb_err("no chat template");
		return NULL;
	}
	if((t = chat_by_name(tmpl)) != NULL)
		return t;
	name = detect(tmpl);
	if(name != NULL)
		return chat_lookup(name);
	lb_err("chat template not recognised (%zu bytes beginning \"%.*s%s\"): none of the built-in formats' marks is in it; "
		"name a built-in template instead (chatml, llama3, gemma, phi3, ...)",
		strlen(tmpl), excerpt(tmpl), tmpl, strlen(tmpl) > (size_t)excerpt(tmpl) ? "..." : "");
	return NULL;
}
