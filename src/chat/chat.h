/*
 * chat.h - chat formats: llama.cpp's built-in templates (src/llama-chat.cpp),
 * recognised from a name or from the Jinja text of tokenizer.chat_template
 * the way llm_chat_detect_template does, and a list of messages rendered into
 * exactly the bytes llm_chat_apply_template produces.  Plain C, no Jinja.
 */
#ifndef LB_CHAT_H
#define LB_CHAT_H

#include <stddef.h>

#include "../gguf/gguf.h"
#include "llambo.h"

typedef struct ChatTmpl ChatTmpl;

/* The built-in template called name exactly, or NULL. */
const ChatTmpl *chat_by_name(const char *name);
/* A built-in name, or a template text recognised by its marks; NULL (with lb_err naming what was seen) when neither. */
const ChatTmpl *chat_detect(const char *tmpl);
const char *chat_name(const ChatTmpl *t);
/* The built-in names in llama.cpp's order (sorted); returns how many there are. */
int chat_builtin_names(const char **names, int max);

/*
 * The messages in t's format, with the assistant's prompt at the end when
 * add_ass (templates whose format has none ignore it, as llama.cpp does).
 * Returns a malloc'd NUL-terminated string and its length in *len, or NULL
 * with lb_err set (out of memory, a message without role or content).
 */
char *chat_render(const ChatTmpl *t, const llambo_chat_msg *msgs, size_t n, int add_ass, size_t *len);

/*
 * The template a GGUF file asks for: tokenizer.chat_template (malloc'd into *out), or for
 * Mistral-Small-2503's files, which have none, "mistral-v7-tekken" (llama.cpp's one exception).
 * 1 found, 0 none (the caller uses chatml), -1 a key of the wrong type (lb_err set).
 */
int chat_file_template(const GGUFFile *f, char **out);

#endif
