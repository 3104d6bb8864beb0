"""The world's word list and a CLIP-format BPE vocabulary in which every world word is one token.

`build_clip_bpe` returns ``(vocab, merges)`` for ``vocab.json`` / ``merges.txt``: CLIP's 256
byte-level base symbols (transformers' ``bytes_to_unicode``, each also with ``</w>``), the merges
that build every world word from its characters (each merge's result is in the vocabulary), and
the two special tokens. Unknown words fall back to characters.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter

from transformers.convert_slow_tokenizer import bytes_to_unicode

from obclip.world.attributes import sample_attributes, world_taxonomy
from obclip.world.captions import caption

# CLIP's pre-tokenizer: letters runs, single digits, runs of other non-space characters
PRETOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+")
EXTRA_WORDS = (
    "person",
    "people",
    "and",
    "the",
    "a",
    "an",
    "of",
    "with",
    "image",
    "face",
    "shirt",
    "hat",
    "glasses",
    "background",
    "skin",
    "portrait",
    "their",
    "they",
    "them",
    "themselves",
    "theirs",
)
SPECIAL_TOKENS = ("<|startoftext|>", "<|endoftext|>")


def pretokenize(text: str) -> list[str]:
    return PRETOKEN.findall(text.lower())


def world_words() -> list[str]:
    """Every word the world's captions and taxonomy use, after CLIP's pre-tokenisation (sorted)."""
    words: set[str] = set(EXTRA_WORDS)
    for spec in world_taxonomy().attributes:
        for forms in spec.forms.values():
            for surfaces in forms.values():
                for form in surfaces:
                    words.update(pretokenize(form))
    rng = random.Random(1234)
    for _ in range(5000):
        words.update(pretokenize(caption(sample_attributes(rng), rng)))
    return sorted(words)


def build_clip_bpe(words: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Train BPE merges on ``words`` (weight 1 each) until every word is a single token."""
    base = list(bytes_to_unicode().values())
    vocab_list = base + [b + "</w>" for b in base]
    byte_map = bytes_to_unicode()
    seqs: list[list[str]] = []
    for w in words:
        chars = [byte_map[b] for b in w.encode("utf-8")]
        chars[-1] += "</w>"
        seqs.append(chars)
    merges: list[tuple[str, str]] = []
    known = set(vocab_list)
    while True:
        pairs: Counter[tuple[str, str]] = Counter()
        for seq in seqs:
            for pair in itertools.pairwise(seq):
                pairs[pair] += 1
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = best[0] + best[1]
        if merged not in known:
            known.add(merged)
            vocab_list.append(merged)
        for i, seq in enumerate(seqs):
            out: list[str] = []
            j = 0
            while j < len(seq):
                if j + 1 < len(seq) and (seq[j], seq[j + 1]) == best:
                    out.append(merged)
                    j += 2
                else:
                    out.append(seq[j])
                    j += 1
            seqs[i] = out
    vocab_list += list(SPECIAL_TOKENS)
    return {tok: i for i, tok in enumerate(vocab_list)}, merges
