from __future__ import annotations

import random
from pathlib import Path

from transformers import CLIPTokenizer

from obclip.world import caption, sample_attributes
from obclip.world.vocabulary import pretokenize, world_words


def test_every_world_word_is_one_token(large_dir: Path) -> None:
    tok = CLIPTokenizer.from_pretrained(large_dir, subfolder="tokenizer")
    vocab = tok.get_vocab()
    for word in world_words():
        assert tok(word, add_special_tokens=False).input_ids == [vocab[word + "</w>"]], word


def test_captions_fit_and_tokenise_word_by_word(large_dir: Path) -> None:
    tok = CLIPTokenizer.from_pretrained(large_dir, subfolder="tokenizer")
    rng = random.Random(5)
    for _ in range(200):
        text = caption(sample_attributes(rng), rng)
        ids = tok(text).input_ids
        assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
        assert len(ids) == len(pretokenize(text)) + 2 <= tok.model_max_length


def test_unknown_words_fall_back_to_characters(large_dir: Path) -> None:
    tok = CLIPTokenizer.from_pretrained(large_dir, subfolder="tokenizer")
    ids = tok("zebra", add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(ids) == ["z", "e", "b", "r", "a</w>"]
    assert tok.unk_token_id not in ids
    assert tok("").input_ids == [tok.bos_token_id, tok.eos_token_id]
