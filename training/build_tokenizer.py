"""Build the world's CLIP tokenizer (vocab.json + merges.txt) into portrait-large/tokenizer."""

from __future__ import annotations

import json

from common import LARGE, MAX_TOKENS, write_json
from transformers import CLIPTokenizer

from obclip.world.vocabulary import SPECIAL_TOKENS, build_clip_bpe, world_words


def main() -> None:
    out = LARGE / "tokenizer"
    out.mkdir(parents=True, exist_ok=True)
    words = world_words()
    vocab, merges = build_clip_bpe(words)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
    bos, eos = SPECIAL_TOKENS
    write_json(
        out / "special_tokens_map.json", {"bos_token": bos, "eos_token": eos, "unk_token": eos, "pad_token": eos}
    )
    write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "CLIPTokenizer",
            "model_max_length": MAX_TOKENS,
            "do_lower_case": True,
            "bos_token": bos,
            "eos_token": eos,
            "unk_token": eos,
            "pad_token": eos,
            "clean_up_tokenization_spaces": False,
            "errors": "replace",
        },
    )
    tok = CLIPTokenizer.from_pretrained(out)
    for w in words:
        ids = tok(w, add_special_tokens=False).input_ids
        assert ids == [vocab[w + "</w>"]], (w, ids)
    print(f"{len(words)} words, vocab {len(vocab)}, merges {len(merges)} -> {out}")


if __name__ == "__main__":
    main()
