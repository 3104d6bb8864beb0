"""Is the shown anonymity honest? A context attacker against the sets obclip sends.

`bench/cue_prompts.tsv` holds prompts written as people type them for Stable Diffusion, each
with the words a context-aware attacker would read as revealing an attribute, labelled when the
prompts were written (an association list of its own, not read off `privacy/data/cues.json`).
For each prompt and policy (--keep-cues, and generalize, the default) the attacker scores every
candidate by how many labelled associations it agrees with (only for words still sent in clear)
and picks uniformly among the best. Printed: its mean success against mean(1/anonymity) and mean(1/N),
and the share of prompts whose notice names every labelled word sent in clear. Standard library
and `obclip.privacy` only; a few seconds.

    python bench/anonymity_honesty.py
    python bench/anonymity_honesty.py --misses      # list the prompts whose notice misses a word
    python bench/anonymity_honesty.py --corpus bench/cue_prompts_heldout.tsv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from obclip.privacy.correlate import anonymity, assignments
from obclip.privacy.cues import fixed_text
from obclip.privacy.taxonomy import fold
from obclip.view import cloud_view

CORPUS = Path(__file__).with_name("cue_prompts.tsv")


def read_corpus(path: Path) -> list[tuple[str, list[tuple[str, str, set[str]]]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("prompt\t"):
            continue
        prompt, cues = line.split("\t")
        labels = []
        for item in cues.split(";") if cues != "-" else []:
            word, what = item.split("=")
            attribute, values = what.split(":")
            labels.append((word, attribute, set(values.split("/"))))
        rows.append((prompt, labels))
    return rows


def attack(cset, labels: list[tuple[str, str, set[str]]]) -> float:
    """The attacker's chance to pick the user's candidate."""
    sent = fold(fixed_text(cset.template))
    used = [(a, v) for word, a, v in labels if fold(word) in sent]
    rows = assignments(cset)
    scores = []
    for row in rows:
        score = 0
        for attribute, values in used:
            mine = [row[i] for i, a in enumerate(cset.attributes) if a.kind == attribute]
            score += bool(mine) and any(value in values for value in mine)
        scores.append(score)
    best = [i for i, s in enumerate(scores) if s == max(scores)]
    return 1 / len(best) if cset.true_index in best else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the prompts whose notice misses a word")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="a TSV as bench/cue_prompts.tsv")
    args = parser.parse_args()
    corpus = read_corpus(args.corpus)
    for policy in ("keep-cues", "generalize"):
        success, inverse_a, inverse_n, named, with_cue = [], [], [], 0, 0
        for prompt, labels in corpus:
            cset = cloud_view(prompt, seed=0, policy=policy)
            success.append(attack(cset, labels))
            inverse_a.append(1 / anonymity(cset))
            inverse_n.append(1 / len(cset))
            sent = fold(fixed_text(cset.template))
            in_clear = {fold(word) for word, _, _ in labels if fold(word) in sent}
            if in_clear:
                with_cue += 1
                told = fold(cset.notice or "")
                missed = [w for w in in_clear if w not in told]
                named += not missed
                if missed and args.misses:
                    print(f"  notice misses {missed}: {prompt}")
        count = len(corpus)
        print(
            f"{policy:<10}: {count} prompts; attacker success "
            f"{sum(success) / count:.3f} vs mean(1/anonymity) {sum(inverse_a) / count:.3f} "
            f"(mean 1/N {sum(inverse_n) / count:.3f}); notice names every labelled word in clear in "
            f"{named} of {with_cue} prompts with one ({100 * named / max(with_cue, 1):.0f} %)"
        )


if __name__ == "__main__":
    main()
