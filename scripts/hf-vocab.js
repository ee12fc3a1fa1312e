#!/usr/bin/env node
// hf-vocab.js - a vocabulary-only GGUF from a Hugging Face tokenizer.json and
// tokenizer_config.json, written with the keys and values llama.cpp's
// convert_hf_to_gguf.py --vocab-only gives them (conversion/base.py:
// _set_vocab_gpt2 / _create_vocab_sentencepiece, gguf-py's SpecialVocab), so that
// llama.cpp and llambo can be compared on the same file.
//
//   node scripts/hf-vocab.js FAMILY DIR OUT.gguf
//
// FAMILY is a row of the table below: what convert_hf_to_gguf.py takes from
// elsewhere than the two JSON files (its model class, the pre-tokenizer its
// hash table names, config.json's vocab_size and special ids, a few hyper-
// parameters llama.cpp's loader insists on even for a vocabulary).
//
// One difference is forced: Gemma's SentencePiece model (tokenizer.model) is
// not in the package, and with it the pieces' scores.  SentencePiece numbers
// its BPE pieces in the order they were learnt (score -1, -2, ... by id) and
// gives user-defined pieces 0; tokenizer.json's merges are sorted by those
// scores (transformers' SentencePieceExtractor), so the scores are rebuilt as
// 0 for the pieces its first, tied merges make and -k for the k-th other
// normal piece: the same order of merges, the same tokens.
'use strict';
const fs = require('fs');

const GGUF = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };
const TT = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

const families = {
	// meta-llama/Meta-Llama-3-8B-Instruct: LlamaModel, no tokenizer.model -> _set_vocab_gpt2
	llama3: { kind: 'gpt2', pre: 'llama-bpe', arch: 'llama', name: 'Meta-Llama-3-8B-Instruct', vocab_size: 128256,
		config: { bos_token_id: 128000, eos_token_id: 128009 },
		hp: { context_length: 8192, embedding_length: 4096, feed_forward_length: 14336, block_count: 32,
			'attention.head_count': 32, 'attention.head_count_kv': 8, 'rope.dimension_count': 128 },
		f32: { 'rope.freq_base': 500000, 'attention.layer_norm_rms_epsilon': 1e-5 } },
	// Qwen/Qwen3-0.6B: Qwen3Model -> Qwen2Model.set_vocab -> _set_vocab_gpt2
	qwen3: { kind: 'gpt2', pre: 'qwen2', arch: 'qwen3', name: 'Qwen3-0.6B', vocab_size: 151936,
		config: { bos_token_id: 151643, eos_token_id: 151645 },
		hp: { context_length: 40960, embedding_length: 1024, feed_forward_length: 3072, block_count: 28,
			'attention.head_count': 16, 'attention.head_count_kv': 8, 'attention.key_length': 128, 'attention.value_length': 128 },
		f32: { 'rope.freq_base': 1000000, 'attention.layer_norm_rms_epsilon': 1e-6 } },
	// google/gemma-2b: GemmaModel -> _set_vocab_sentencepiece, the EOT id, no space prefix
	gemma: { kind: 'spm', arch: 'gemma', name: 'gemma-2b', vocab_size: 256000,
		config: { bos_token_id: 2, eos_token_id: 1, pad_token_id: 0 },
		extra_ids: { eot: 107 },	// prefix/suffix/middle/fsep too, but gguf-py has no writer for them
		hp: { context_length: 8192, embedding_length: 2048, feed_forward_length: 16384, block_count: 18,
			'attention.head_count': 8, 'attention.head_count_kv': 1, 'attention.key_length': 256, 'attention.value_length': 256 },
		f32: { 'attention.layer_norm_rms_epsilon': 1e-6 } },
	// google/gemma-3-1b-it: Gemma3Model with tokenizer.model -> _set_vocab_sentencepiece, no space prefix
	gemma3: { kind: 'spm', arch: 'gemma3', name: 'gemma-3-1b-it', vocab_size: 262144,
		config: { bos_token_id: 2, pad_token_id: 0 },
		hp: { context_length: 32768, embedding_length: 1152, feed_forward_length: 6912, block_count: 26,
			'attention.head_count': 4, 'attention.head_count_kv': 1, 'attention.key_length': 256, 'attention.value_length': 256,
			'attention.sliding_window': 512 },
		f32: { 'rope.freq_base': 1000000, 'attention.layer_norm_rms_epsilon': 1e-6 } },
};

function looksSpecial(t) {	// ModelBase.does_token_look_special
	return ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t) ||
		(t.startsWith('<|') && t.endsWith('|>')) || (t.startsWith('<｜') && t.endsWith('｜>')) ||
		(t.startsWith('<unused') && t.endsWith('>'));
}

// _set_vocab_gpt2 -> get_vocab_base: the tokenizer's vocabulary (model + added tokens) by id, [PADi] in the gaps.
function gpt2Tokens(tj, cfg, fam) {
	const rev = new Map();
	for (const [t, id] of Object.entries(tj.model.vocab)) rev.set(id, t);
	const added = new Map(tj.added_tokens.map(a => [a.id, a]));
	for (const a of tj.added_tokens) rev.set(a.id, a.content);
	const tokens = [], types = [];
	for (let i = 0; i < fam.vocab_size; i++) {
		if (!rev.has(i)) { tokens.push(`[PAD${i}]`); types.push(TT.UNUSED); continue; }
		let t = rev.get(i);
		const a = added.get(i);
		if (a !== undefined) {
			if (a.special || looksSpecial(t)) types.push(TT.CONTROL);
			else { t = t.replaceAll('\u2581', ' '); types.push(TT.USER_DEFINED); }
		} else types.push(TT.NORMAL);
		tokens.push(t);
	}
	return { tokens, types };
}

// The SentencePiece scores, rebuilt from the order of tokenizer.json's merges (see the top).
function spmScores(tj) {
	const vocab = tj.model.vocab, merges = tj.model.merges, made = [];
	for (const m of merges) {
		const [l, r] = typeof m === 'string' ? [m.slice(0, m.indexOf(' ')), m.slice(m.indexOf(' ') + 1)] : m;
		made.push(vocab[l + r]);
	}
	let tied = made.length;	// merges after this point make pieces in id order
	while (tied > 0 && (tied === made.length || made[tied - 1] <= made[tied])) tied--;
	return new Set(made.slice(0, tied));
}

// _create_vocab_sentencepiece, with the SentencePiece model's pieces taken from tokenizer.json.
function spmTokens(tj, tc, fam) {
	const n = fam.vocab_size, tokens = [], scores = [], types = [];
	const rev = new Map(Object.entries(tj.model.vocab).map(([t, id]) => [id, t]));
	const first = spmScores(tj);
	let k = 0;
	for (let i = 0; i < n; i++) {
		tokens.push(`[PAD${i}]`); scores.push(-10000); types.push(TT.UNUSED);
		if (!rev.has(i)) continue;
		const t = rev.get(i);
		tokens[i] = t;
		if (t === tj.model.unk_token) { types[i] = TT.UNKNOWN; scores[i] = 0; }
		else if (/^<0x[0-9A-F]{2}>$/.test(t)) { types[i] = TT.BYTE; scores[i] = 0; }
		else { types[i] = TT.NORMAL; scores[i] = first.has(i) ? 0 : -(++k); }
	}
	for (const [sid, d] of Object.entries(tc.added_tokens_decoder || {})) {
		const id = Number(sid);
		if (id >= n) continue;	// "ignore token: id is out of range"
		let t = d.content;
		if (d.special || looksSpecial(t)) types[id] = TT.CONTROL;
		else { t = t.replaceAll('\u2581', ' '); types[id] = TT.USER_DEFINED; }
		scores[id] = -1000;
		tokens[id] = t;
	}
	return { tokens, scores, types };
}

// gguf-py SpecialVocab: ids from tokenizer_config's *_token (found among the added tokens), then
// config.json's *_token_id for the types still unset; add_*_token from tokenizer_config, else
// from a TemplateProcessing post-processor; the chat template.
function specialVocab(tj, tc, fam, n) {
	const ids = {}, add = {};
	const set = (typ, id) => { if (Number.isInteger(id) && id < n && !(typ in ids)) ids[typ] = id; };
	const pp = tj.post_processor;
	for (const p of pp ? (pp.processors || [pp]) : []) {
		if (p.type !== 'TemplateProcessing' || !(p.single.length > 1)) continue;
		const first = p.single[0].SpecialToken, last = p.single[p.single.length - 1].SpecialToken;
		if (first) add.bos = first.id === tc.bos_token;
		if (last) add.eos = last.id === tc.eos_token;
	}
	for (const typ of ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask']) {
		if (typeof tc[`add_${typ}_token`] === 'boolean') add[typ] = tc[`add_${typ}_token`];
		let e = tc[`${typ}_token`];
		if (e && typeof e === 'object') e = e.content;
		if (typeof e !== 'string') continue;
		const a = tj.added_tokens.find(x => x.content === e);
		if (a) set(typ, a.id);
	}
	for (const [k, v] of Object.entries(fam.config)) set(k.replace(/_token_id$/, ''), v);
	return { ids, add, template: typeof tc.chat_template === 'string' ? tc.chat_template : null };
}

function merges(tj) {
	return tj.model.merges.map(m => typeof m === 'string' ? m :
		m.map(p => p.replaceAll(' ', '\u0120')).join(' '));	// spaces inside a pair, as gguf-py encodes them
}

// GGUF version 3: the header, the key-value pairs, no tensors.
function writeGGUF(path, kvs) {
	const parts = [];
	const u32 = v => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
	const u64 = v => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
	const str = s => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };
	const one = (type, v) => {
		if (type === GGUF.STRING) str(v);
		else if (type === GGUF.UINT32) u32(v);
		else if (type === GGUF.INT32) { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); }
		else if (type === GGUF.FLOAT32) { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); }
		else if (type === GGUF.BOOL) parts.push(Buffer.from([v ? 1 : 0]));
	};
	parts.push(Buffer.from('GGUF'));
	u32(3); u64(0); u64(kvs.length);
	for (const [key, type, v, elem] of kvs) {
		str(key); u32(type);
		if (type === GGUF.ARRAY) { u32(elem); u64(v.length); for (const x of v) one(elem, x); }
		else one(type, v);
	}
	let size = parts.reduce((s, b) => s + b.length, 0);
	parts.push(Buffer.alloc((32 - size % 32) % 32));
	fs.writeFileSync(path, Buffer.concat(parts));
}

function main() {
	const [famName, dir, out] = process.argv.slice(2);
	const fam = families[famName];
	if (!fam || !dir || !out) {
		process.stderr.write(`usage: node hf-vocab.js (${Object.keys(families).join('|')}) DIR OUT.gguf\n`);
		process.exit(2);
	}
	const tj = JSON.parse(fs.readFileSync(`${dir}/tokenizer.json`, 'utf8'));
	const tc = JSON.parse(fs.readFileSync(`${dir}/tokenizer_config.json`, 'utf8'));
	const a = fam.arch, kvs = [['general.architecture', GGUF.STRING, a], ['general.name', GGUF.STRING, fam.name]];
	for (const [k, v] of Object.entries(fam.hp)) kvs.push([`${a}.${k}`, GGUF.UINT32, v]);
	for (const [k, v] of Object.entries(fam.f32)) kvs.push([`${a}.${k}`, GGUF.FLOAT32, v]);
	kvs.push(['general.file_type', GGUF.UINT32, 1]);
	const v = fam.kind === 'gpt2' ? gpt2Tokens(tj, tc, fam) : spmTokens(tj, tc, fam);
	kvs.push(['tokenizer.ggml.model', GGUF.STRING, fam.kind === 'gpt2' ? 'gpt2' : 'llama']);
	kvs.push(['tokenizer.ggml.pre', GGUF.STRING, fam.kind === 'gpt2' ? fam.pre : 'default']);
	kvs.push(['tokenizer.ggml.tokens', GGUF.ARRAY, v.tokens, GGUF.STRING]);
	if (v.scores) kvs.push(['tokenizer.ggml.scores', GGUF.ARRAY, v.scores, GGUF.FLOAT32]);
	kvs.push(['tokenizer.ggml.token_type', GGUF.ARRAY, v.types, GGUF.INT32]);
	if (fam.kind === 'gpt2') kvs.push(['tokenizer.ggml.merges', GGUF.ARRAY, merges(tj), GGUF.STRING]);
	const sv = specialVocab(tj, tc, fam, v.tokens.length);
	const idkey = { bos: 'bos_token_id', eos: 'eos_token_id', unk: 'unknown_token_id', sep: 'seperator_token_id',
		pad: 'padding_token_id', mask: 'mask_token_id' };	// cls: gguf-py has no writer
	for (const [typ, id] of Object.entries(sv.ids)) if (idkey[typ]) kvs.push([`tokenizer.ggml.${idkey[typ]}`, GGUF.UINT32, id]);
	for (const [typ, id] of Object.entries(fam.extra_ids || {})) kvs.push([`tokenizer.ggml.${typ}_token_id`, GGUF.UINT32, id]);
	for (const [typ, b] of Object.entries(sv.add))
		if (['bos', 'eos', 'sep'].includes(typ)) kvs.push([`tokenizer.ggml.add_${typ}_token`, GGUF.BOOL, b]);
	if (sv.template !== null) kvs.push(['tokenizer.chat_template', GGUF.STRING, sv.template]);
	if (fam.kind === 'spm') kvs.push(['tokenizer.ggml.add_space_prefix', GGUF.BOOL, false]);
	kvs.push(['general.quantization_version', GGUF.UINT32, 2]);
	writeGGUF(out, kvs);
}

main();
