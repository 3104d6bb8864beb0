"""How long the device takes to read a prompt: `obclip candidates`' own work (import, taxonomy,
detection, expansion) for a short prompt, and 100 kB prompts of several kinds, each answered
(expanded or refused) against the 5 s the issue allows.

    PYTHONPATH=src .venv/bin/python bench/privacy_speed.py

Prints one line per case: seconds, the ratio to the 5 s budget, and what came back; the cases run
at 100 kB (refused at once: longer than detection reads) and at the longest prompt read (1,000
characters), without a budget and with `--max-candidates 64`; then three paragraphs of the kind
people type into chat image tools (several persons named and referred back to), whose sets run to
thousands of candidates that are each read back: with a budget of 4,096 and without one (refused,
naming the largest budget that can be read back in time, where the set is larger), and with 64.
"""

from __future__ import annotations

import random
import time

BUDGET_S = 5.0
SIZE = 100_000


def _cases(size: int) -> dict[str, str]:
    rng = random.Random(0)
    prose = "a portrait of an old woman with her grandson, golden hour, 35mm, highly detailed. "
    tags = "1girl, solo, long_hair, smile, old_man, (masterpiece:1.2), [man|woman], dark-skinned_female, "
    words = ["woman", "man", "girl", "Fatima", "eldery", "womn", "the", "park", "wоman", "wo\u200bman", "chess"]
    hostile = " ".join(rng.choice(words) for _ in range(size // 5))
    noise = "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(size))
    french = "une vieille femme avec un chat dans un jardin fleuri, lumière douce. "
    landscape = "a misty mountain lake at dawn, pine trees, volumetric light, 8k, artstation. "
    return {
        "prose with persons": (prose * (size // len(prose) + 1))[:size],
        "booru tags": (tags * (size // len(tags) + 1))[:size],
        "hostile words": hostile[:size],
        "random unicode": noise,
        "french": (french * (size // len(french) + 1))[:size],
        "person-free": (landscape * (size // len(landscape) + 1))[:size],
    }


PARAGRAPHS = [
    "A black and white photograph from the 1950s showing an elderly Italian man sitting on a wooden bench "
    "outside his bakery in Brooklyn. He is wearing a flat cap and a white apron dusted with flour, and his "
    "hands rest on a cane. Beside him, his granddaughter, a girl of about seven with pigtails, is eating a "
    "cannoli and laughing. The man looks at her with quiet pride. In the background, a woman in a floral "
    "dress, her mother, is arranging bread in the shop window. Soft afternoon light, film grain.",
    "Create an image of a young Black woman in her twenties standing in a crowded subway car in New York in "
    "1985. She wears a denim jacket covered in pins and has big headphones around her neck. Next to her, an "
    "older Asian man in a grey suit reads a folded newspaper while a teenage boy with a skateboard leans "
    "against the door. The woman is smiling at something on her Walkman. Harsh fluorescent light.",
    "Illustrate a cozy scene in a small Mexican kitchen where an abuela in her seventies teaches her "
    "grandson, a boy around ten, how to make tortillas by hand. She has silver hair tied in a bun. He is "
    "standing on a stool so he can reach the counter, flour on his nose. Her husband, the grandfather, sits "
    "at the table behind them drinking coffee. The old woman is laughing at the boy's lopsided tortilla.",
]


def main() -> None:
    started = time.perf_counter()
    from obclip.errors import InvalidInputError
    from obclip.privacy import build_candidate_set

    cset = build_candidate_set("portrait of a young African woman", seed=0)
    first = time.perf_counter() - started
    label = "short prompt, cold (import + load + build)"
    print(f"{label:45s} {first:6.2f} s  x{first / BUDGET_S:.2f} of {BUDGET_S:.0f} s  N = {len(cset)}")
    from obclip.privacy.detect import MAX_PROMPT_CHARS

    for size, budget in ((SIZE, None), (MAX_PROMPT_CHARS, None), (MAX_PROMPT_CHARS, 64)):
        for name, text in _cases(size).items():
            mark = time.perf_counter()
            try:
                answer = f"N = {len(build_candidate_set(text, seed=0, max_candidates=budget))}"
            except InvalidInputError as error:
                answer = f"refused: {str(error)[:50]}"
            took = time.perf_counter() - mark
            label = f"{name} ({size} chars, budget {budget})"
            print(f"{label:45s} {took:6.2f} s  x{took / BUDGET_S:.2f} of {BUDGET_S:.0f} s  {answer}")
    for budget in (4096, None, 64):
        for number, text in enumerate(PARAGRAPHS, 1):
            mark = time.perf_counter()
            try:
                answer = f"N = {len(build_candidate_set(text, seed=0, max_candidates=budget))}"
            except InvalidInputError as error:  # more than can be read back in time: the budget that fits
                answer = f"refused: {str(error)[-95:]}"
            took = time.perf_counter() - mark
            label = f"paragraph {number} ({len(text)} chars, budget {budget})"
            print(f"{label:45s} {took:6.2f} s  x{took / BUDGET_S:.2f} of {BUDGET_S:.0f} s  {answer}")


if __name__ == "__main__":
    main()
