/*
 * eog.c - the special tokens llama.cpp finds by their text, the set of
 * tokens that end generation (llama_vocab::impl::load, "auto-detect special
 * tokens by text" and special_eog_ids), and the attributes it sets by model
 * name.  Where llama.cpp takes whichever match its hash map yields first, we
 * take the lowest id.
 */
#include <ctype.h>
#include <string.h>

#include "vocab_impl.h"

static const char *const eot_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
	"<EOT>", "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
	"<end_of_utterance>", NULL,
};
static const char *const eom_texts[] = { "<|eom_id|>", NULL };
static const char *const fim_pre_texts[] = {
	"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
	"<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL,
};
static const char *const fim_suf_texts[] = {
	"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>",
	"<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL,
};
static const char *const fim_mid_texts[] = {
	"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
	"<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL,
};
static const char *const fim_pad_texts[] = { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL };
static const char *const fim_rep_texts[] = { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL };
static const char *const fim_sep_texts[] = { "<|file_sep|>", NULL };
static const char *const eog_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>", "[e~[", NULL,
};
/* gpt-oss: always rendered */
static const char *const user_texts[] = { "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL };

static int32_t
find(const Vocab *v, const char *text)
{
	return vocab_lookup(v, text, strlen(text));
}

static void
setattr(Vocab *v, int32_t id, uint8_t set, uint8_t clear)
{
	uint8_t *attr = v->attr.p;

	attr[id] = (attr[id] & ~clear) | set;
}

/* The lowest id among texts, made a control token; the id is kept if it is already set. */
static void
detect(Vocab *v, int32_t *id, const char *const *texts)
{
	int32_t best = -1, t;

	if(*id >= 0)
		return;
	for(; *texts != NULL; texts++)
		if((t = find(v, *texts)) >= 0 && (best < 0 || t < best))
			best = t;
	if(best >= 0){
		*id = best;
		setattr(v, best, VA_CONTROL, 0);
	}
}

static void
mark_eog(Vocab *v, int32_t id)
{
	if(id >= 0)
		setattr(v, id, VA_EOG, 0);
}

static int
is_eog_text(const Vocab *v, const char *text)
{
	int32_t id = find(v, text);

	return id >= 0 && (vocab_attr(v, id) & VA_EOG);
}

/*
 * o200k_harmony and solar-open: "<|end|>" is no end of generation when the
 * vocabulary also ends turns with "<|return|>"/"<|call|>" or "<|calls|>"/"<|flush|>".
 * gemma4 and paddleocr: neither is "</s>" when "<|tool_response>" is there.
 */
static void
eog_workarounds(Vocab *v)
{
	int call = is_eog_text(v, "<|call|>") || is_eog_text(v, "<|calls|>");
	int32_t id;

	if(is_eog_text(v, "<|end|>") && call && (is_eog_text(v, "<|return|>") || is_eog_text(v, "<|flush|>"))){
		id = find(v, "<|end|>");
		setattr(v, id, VA_USER, 0xFF);
	}
	if(is_eog_text(v, "<|tool_response>") && is_eog_text(v, "</s>")){
		id = find(v, "</s>");
		setattr(v, id, VA_NORMAL, 0xFF);
	}
}

void
vocab_find_specials(Vocab *v)
{
	const char *const *t;
	int32_t id;

	detect(v, &v->eot, eot_texts);
	detect(v, &v->eom, eom_texts);
	detect(v, &v->fim_pre, fim_pre_texts);
	detect(v, &v->fim_suf, fim_suf_texts);
	detect(v, &v->fim_mid, fim_mid_texts);
	detect(v, &v->fim_pad, fim_pad_texts);
	detect(v, &v->fim_rep, fim_rep_texts);
	detect(v, &v->fim_sep, fim_sep_texts);
	mark_eog(v, v->fim_pad);
	mark_eog(v, v->fim_rep);
	mark_eog(v, v->fim_sep);
	for(t = eog_texts; *t != NULL; t++)
		if((id = find(v, *t)) >= 0)
			setattr(v, id, VA_EOG | VA_CONTROL, 0);
	for(t = user_texts; *t != NULL; t++)
		if((id = find(v, *t)) >= 0)
			setattr(v, id, VA_USER, 0xFF & ~VA_EOG);
	mark_eog(v, v->eos);
	mark_eog(v, v->eot);
	mark_eog(v, v->eom);
	eog_workarounds(v);
}

/*
 * Phi-3 (general.name containing "phi-3" or "phi3", any case): the special
 * tokens and "</s>" eat the whitespace after them, except "<unk>", "<s>" and
 * "<|endoftext|>".  (llama.cpp's other cases are BERT-style models.)
 */
void
vocab_name_attrs(Vocab *v, const GGUFFile *f)
{
	static const char *const keep[] = { "<unk>", "<s>", "<|endoftext|>", NULL };
	const int32_t *sp = v->special.p;
	char name[256];
	const char *const *t;
	GGUFStr s;
	int32_t i, id;
	size_t k;

	if(gguf_get_str(f, "general.name", &s) != 1)
		return;
	for(k = 0; k < s.len && k < sizeof name - 1; k++)
		name[k] = tolower((uint8_t)s.p[k]);
	name[k] = 0;
	if(strstr(name, "phi-3") == NULL && strstr(name, "phi3") == NULL)
		return;
	for(i = 0; i < v->nspecial; i++)
		setattr(v, sp[i], VA_RSTRIP, 0);
	if((id = find(v, "</s>")) >= 0)
		setattr(v, id, VA_RSTRIP, 0);
	for(t = keep; *t != NULL; t++)
		if((id = find(v, *t)) >= 0)
			setattr(v, id, 0, VA_RSTRIP);
}
