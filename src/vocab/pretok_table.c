/*
 * pretok_table.c - the BPE pre-tokenizers llama.cpp knows (llama-vocab.cpp,
 * llm_tokenizer_bpe and the tokenizer.ggml.pre names of llama_vocab::impl::load):
 * for each name, the regexes that split text into words, applied one after
 * the other, and the flags llama.cpp sets with it.  The regexes are
 * llama.cpp's, except that the GPT-2 one carries the final "|\s+" that
 * llama.cpp's hand-written GPT-2 splitter (unicode_regex_split_custom_gpt2)
 * behaves as having.
 */
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

static const char *const re_llama3[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_jais2[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}",
	NULL,
};
static const char *const re_deepseek_llm[] = {
	"[\r\n]",
	"\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
	"\\s?[!-/:-~！-／：-～‘-‟　-。]+",
	"\\s+$",
	"[一-龥ࠀ-一가-퟿]+",
	"\\p{N}+",
	NULL,
};
static const char *const re_deepseek3[] = {
	"\\p{N}{1,3}",
	"[一-龥぀-ゟ゠-ヿ]+",
	"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_youtu[] = {
	"[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_deepseek_coder[] = {
	"[\r\n]",
	"\\s?\\p{L}+",
	"\\s?\\p{P}+",
	"[一-龥ࠀ-一가-퟿]+",
	"\\p{N}",
	NULL,
};
static const char *const re_falcon[] = {
	"[\\p{P}\\$\\+<=>\\^~\\|`]+",
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	"[0-9][0-9][0-9]",
	NULL,
};
static const char *const re_starcoder[] = {
	"\\p{N}",
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_gpt2[] = {
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_qwen2[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_qwen35[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_poro[] = {
	" ?[^(\\s|.,!?…。，、।۔،)]+",
	NULL,
};
static const char *const re_viking[] = {
	" ?[^(\\s|.,!?…。，、।۔،)]+",
	"\\p{N}",
	NULL,
};
static const char *const re_tekken[] = {
	"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_chameleon[] = {
	"<sentinel:[0-9]+>",
	"(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
	"([\\t\\n]|    |  )",
	"\\p{N}",
	"[\\p{P}!-/:-@\\[-`{-~]",
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_gpt4o[] = {
	"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_granite_emb[] = {
	"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_bailingmoe[] = {
	"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_seed_coder[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_laguna[] = {
	"[^\\n]+|[\\n]+",
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_exaone_moe[] = {
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_minicpm5[] = {
	"\\p{N}{1,3}",
	"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	NULL,
};
static const char *const re_default[] = {
	"[\\p{P}\\$\\+<=>\\^~\\|]+",
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	"\\p{N}+",
	"[0-9][0-9][0-9]",
	NULL,
};

enum {
	KEEP_SPACES = 1 << 0,	/* clean_spaces = false */
	IGNORE_MERGES = 1 << 1,	/* a word that is a token is taken whole */
	ADD_BOS = 1 << 2,	/* add_bos = true unless tokenizer.ggml.add_bos_token says no */
	NO_BOS = 1 << 3,	/* no default BOS id */
};

struct PreDef {
	const char *name;
	const char *const *re;
	int flags;
};

static const PreDef predefs[] = {
	{ "default", re_default, 0 },
	{ "minicpm5", re_minicpm5, IGNORE_MERGES },
	{ "llama3", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "llama-v3", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "llama-bpe", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "falcon3", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "falcon-h1", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "pixtral", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "midm-2.0", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "lfm2", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "jina-v5-nano", re_llama3, IGNORE_MERGES | ADD_BOS },
	{ "deepseek-llm", re_deepseek_llm, KEEP_SPACES },
	{ "deepseek-coder", re_deepseek_coder, KEEP_SPACES },
	{ "deepseek-v3", re_deepseek3, KEEP_SPACES },
	{ "youtu", re_youtu, KEEP_SPACES | IGNORE_MERGES },
	{ "falcon", re_falcon, 0 },
	{ "mpt", re_gpt2, 0 },
	{ "starcoder", re_starcoder, 0 },
	{ "gpt-2", re_gpt2, 0 },
	{ "phi-2", re_gpt2, 0 },
	{ "jina-es", re_gpt2, 0 },
	{ "jina-de", re_gpt2, 0 },
	{ "gigachat", re_gpt2, 0 },
	{ "jina-v2-es", re_gpt2, 0 },
	{ "jina-v2-de", re_gpt2, 0 },
	{ "a.x-4.0", re_gpt2, 0 },
	{ "mellum", re_gpt2, 0 },
	{ "modern-bert", re_gpt2, 0 },
	{ "jais-2", re_jais2, 0 },
	{ "jina-v1-en", re_gpt2, 0 },
	{ "jina-v2-code", re_gpt2, 0 },
	{ "roberta-bpe", re_gpt2, 0 },
	{ "refact", re_starcoder, 0 },
	{ "command-r", re_starcoder, KEEP_SPACES },
	{ "qwen2", re_qwen2, KEEP_SPACES },
	{ "deepseek-r1-qwen", re_qwen2, KEEP_SPACES },
	{ "kormo", re_qwen2, KEEP_SPACES },
	{ "f2llmv2", re_qwen2, KEEP_SPACES },
	{ "qwen35", re_qwen35, KEEP_SPACES },
	{ "stablelm2", re_qwen2, 0 },
	{ "olmo", re_gpt2, 0 },
	{ "dbrx", re_llama3, 0 },
	{ "smaug-bpe", re_llama3, 0 },
	{ "poro-chat", re_poro, KEEP_SPACES },
	{ "glm4", re_llama3, NO_BOS },
	{ "chatglm-bpe", re_llama3, NO_BOS },
	{ "viking", re_viking, KEEP_SPACES },
	{ "jais", re_gpt2, 0 },
	{ "tekken", re_tekken, KEEP_SPACES | IGNORE_MERGES | ADD_BOS },
	{ "smollm", re_starcoder, KEEP_SPACES },
	{ "codeshell", re_starcoder, 0 },
	{ "bloom", re_poro, 0 },
	{ "gpt3-finnish", re_poro, 0 },
	{ "exaone", re_starcoder, 0 },
	{ "exaone4", re_gpt2, 0 },
	{ "exaone-moe", re_exaone_moe, 0 },
	{ "chameleon", re_chameleon, KEEP_SPACES | ADD_BOS },
	{ "minerva-7b", re_starcoder, 0 },
	{ "megrez", re_qwen2, 0 },
	{ "gpt-4o", re_gpt4o, KEEP_SPACES },
	{ "llama4", re_gpt4o, KEEP_SPACES },
	{ "kanana2", re_gpt4o, KEEP_SPACES },
	{ "talkie", re_gpt4o, KEEP_SPACES },
	{ "granite-embed-multi-97m", re_granite_emb, KEEP_SPACES | IGNORE_MERGES },
	{ "trillion", re_gpt2, KEEP_SPACES },
	{ "granite-docling", re_gpt2, KEEP_SPACES },
	{ "bailingmoe", re_bailingmoe, KEEP_SPACES },
	{ "bailingmoe2", re_bailingmoe, KEEP_SPACES },
	{ "llada-moe", re_bailingmoe, KEEP_SPACES },
	{ "seed-coder", re_seed_coder, KEEP_SPACES },
	{ "hunyuan", re_qwen2, KEEP_SPACES },
	{ "hunyuan-dense", re_deepseek3, KEEP_SPACES },
	{ "joyai-llm", re_deepseek3, KEEP_SPACES },
	{ "grok-2", re_qwen2, KEEP_SPACES },
	{ "laguna", re_laguna, KEEP_SPACES },
	{ "minimax-m2", re_gpt4o, KEEP_SPACES },
	{ "solar-open", re_qwen2, KEEP_SPACES },
	{ "mellum2", re_starcoder, 0 },
};

/* Known to llama.cpp, but they need its hand-written splitters or raw-UTF-8 BPE. */
static const char *const unsupported[] = {
	"tiny_aya", "cohere2moe", "superbpe", "kimi-k2", "afmoe", "gemma4",
	"granite-embed-multi-311m", "sarvam-moe", "whitespace",
};

const PreDef *
pretok_find(const char *name, size_t len)
{
	size_t i;

	for(i = 0; i < sizeof predefs / sizeof predefs[0]; i++)
		if(strlen(predefs[i].name) == len && memcmp(predefs[i].name, name, len) == 0)
			return &predefs[i];
	for(i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if(strlen(unsupported[i]) == len && memcmp(unsupported[i], name, len) == 0){
			lb_err("unsupported pre-tokenizer %s", unsupported[i]);
			return NULL;
		}
	if(len > 64)
		len = 64;
	lb_err("unknown pre-tokenizer %.*s", (int)len, name);
	return NULL;
}

/* The name of pre-tokenizer number i, for the tests and fuzzers that try each; NULL past the last. */
const char *
pretok_name(int i)
{
	return i >= 0 && (size_t)i < sizeof predefs / sizeof predefs[0] ? predefs[i].name : NULL;
}

const char *
predef_name(const PreDef *d)
{
	return d->name;
}

const char *const *
predef_regexes(const PreDef *d)
{
	return d->re;
}

int
predef_clean_spaces(const PreDef *d)
{
	return !(d->flags & KEEP_SPACES);
}

int
predef_ignore_merges(const PreDef *d)
{
	return (d->flags & IGNORE_MERGES) != 0;
}

int
predef_add_bos(const PreDef *d)
{
	return (d->flags & ADD_BOS) != 0;
}

int
predef_no_bos(const PreDef *d)
{
	return (d->flags & NO_BOS) != 0;
}
