"""Builds privacy/data/foreign_words.json from `wordfreq` (run by hand; the output is committed): the
common words of other Latin-script languages that English text hardly uses, for the language check.

    PYTHONPATH=src python tools/build_language_data.py

A word is listed when it is among a language's `TOP` most frequent words, is common there (Zipf
>= `MIN_ZIPF`), and is at least `MARGIN` Zipf points (a factor of about 30) more frequent there than
in English: "una", "een", "ein", "vieja", "mujer" are; "piñata", "café", "kimono" and
"croissant" (about as frequent in English text) are not. Each word keeps its languages and margin.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "obclip" / "privacy" / "data"
# wordfreq's languages written in the Latin script (others are told by their letters alone)
LANGUAGES = ("es", "fr", "de", "it", "pt", "nl", "sv", "da", "nb", "pl", "tr", "ca", "ro", "cs", "fi", "hu", "id")
TOP = 2000
MIN_ZIPF = 4.0
MARGIN = 1.5


def foreign_words() -> dict[str, object]:
    """word -> [languages, margin]: the languages where the word is common and far more frequent than in
    English, the most over-represented first, and the largest margin."""
    from wordfreq import top_n_list, zipf_frequency

    table: dict[str, list[tuple[float, str]]] = {}
    for language in LANGUAGES:
        for word in top_n_list(language, TOP):
            if not word.isalpha() or len(word) < 2:
                continue
            there = zipf_frequency(word, language)
            if there < MIN_ZIPF:
                continue
            margin = round(there - zipf_frequency(word, "en"), 1)
            if margin >= MARGIN:
                table.setdefault(word, []).append((margin, language))
    words = {}
    for word, found in sorted(table.items()):
        found.sort(key=lambda entry: (-entry[0], entry[1]))
        words[word] = [" ".join(language for _, language in found), found[0][0]]
    return {
        "description": "Common words of other Latin-script languages that English text hardly uses: word -> "
        f"[its languages, most over-represented first, and the largest margin in Zipf points over English, at "
        f"least {MARGIN}]; for the language check (privacy/language.py).",
        "source": f"wordfreq {metadata.version('wordfreq')}: top {TOP} words of {', '.join(LANGUAGES)} with "
        f"Zipf >= {MIN_ZIPF}, by tools/build_language_data.py",
        "words": words,
    }


def main() -> None:
    data = foreign_words()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    (DATA / "foreign_words.json").write_text(text + "\n", "utf-8")
    print(f"foreign_words.json: {len(data['words'])} words")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
