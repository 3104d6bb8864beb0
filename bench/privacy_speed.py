"""How long the device takes to read a prompt: `obclip candidates`' own work (import, taxonomy,
detection, expansion) for a short prompt, and 100 kB prompts of several kinds, each answered
(expanded or refused) against the 5 s the issue allows.

    PYTHONPATH=src .venv/bin/python bench/privacy_speed.py

Prints one line per case: seconds, the ratio to the 5 s budget, and what came back; the cases run
at 100 kB (refused at once: longer than detection reads) and at the longest prompt read (1,000
characters), without a budget and with `--max-candidates 64`.
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


if __name__ == "__main__":
    main()
