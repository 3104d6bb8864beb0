"""What the generalising policy (the default) costs in image quality, on the embedded portrait world.

Held-out world captions (`obclip.eval.quality.held_out_prompts`) get a cue that agrees with the
portrait ("with a beard" for a man, "in a wedding dress" for a woman, "with grey hair" for an old
person). Three ObCLIP rows, scored by `obclip.eval.quality.evaluate` with the world's attribute
classifier: the captions without a cue; with the cue under --keep-cues (the cue is sent in clear
and the attribute it reveals is not varied); and under the default policy, generalize (the
cloud's rows hold the neutral form, the device finishes steps [k, T) with the full caption).

The world's text encoder was trained on world captions only, so the cue words are out of its
vocabulary: what this measures is the cost of the cloud and the device reading different texts,
not what a cue adds to a picture.

    nice -n 10 python bench/generalize_quality.py                 # 8 captions, k = 5, T = 12
    nice -n 10 python bench/generalize_quality.py --count 48 --steps 25 --switch-step 10 --json out.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from typing import Any

from obclip.eval.quality import WORLD_LARGE, Prompt, Setting, evaluate, format_table, held_out_prompts
from obclip.privacy.correlate import anonymity
from obclip.view import cloud_view


@dataclasses.dataclass(frozen=True)
class _Finish:
    """What `evaluate` reads of a candidate set, with the device finishing on `true_prompt`
    (the user's full caption) while the cloud's row is `candidates[true_index]`."""

    candidates: tuple[str, ...]
    true_index: int
    true_prompt: str

    def __len__(self) -> int:
        return len(self.candidates)


def cue_for(attributes: dict[str, str]) -> str:
    """A cue that agrees with the portrait: grey hair for the old, else by gender."""
    if attributes.get("age") == "old":
        return " with grey hair"
    return " with a beard" if attributes.get("gender") == "male" else " in a wedding dress"


def with_cue(prompt: Prompt, *, policy: str, seed: int) -> tuple[Prompt, int, int]:
    """The prompt with its cue; the cloud runs the user's row only (rows are independent, so the
    image is the one the whole set gives; N and the anonymity are reported beside)."""
    text = prompt.caption + cue_for(prompt.attributes)
    cset = cloud_view(text, large=WORLD_LARGE, seed=seed, policy=policy)
    finish = cset.device_prompt or cset.true_prompt
    shown = _Finish((cset.true_prompt,), 0, finish)
    return dataclasses.replace(prompt, caption=text, candidate_set=shown), len(cset), anonymity(cset)


def _plain(value: Any) -> Any:
    """A figure that JSON does not know (a tensor in a row) as a number or a list."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=8, help="held-out captions (default 8)")
    parser.add_argument("--switch-step", type=int, default=5, help="k (default 5)")
    parser.add_argument("--steps", type=int, default=12, help="T (default 12)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args()

    started = time.perf_counter()
    plain = held_out_prompts(args.count, taxonomy=None)
    plain = [dataclasses.replace(p, candidate_set=_Finish((p.caption,), 0, p.caption)) for p in plain]
    kept = [with_cue(p, policy="keep-cues", seed=p.seed) for p in plain]
    general = [with_cue(p, policy="generalize", seed=p.seed) for p in plain]
    setting = Setting("obclip", args.switch_step)
    rows = []
    for label, prompts in (
        ("no cue", plain),
        ("cue, --keep-cues", [p for p, _, _ in kept]),
        ("cue, generalize (default)", [p for p, _, _ in general]),
    ):
        (row,) = evaluate([dataclasses.replace(setting, label=label)], prompts, steps=args.steps)
        rows.append(row)
    figures = {
        "cue, --keep-cues": (sum(n for _, n, _ in kept) / len(kept), sum(a for _, _, a in kept)),
        "cue, generalize (default)": (sum(n for _, n, _ in general) / len(general), sum(a for _, _, a in general)),
    }
    print(format_table(rows))
    for label, (mean_n, total_a) in figures.items():
        print(f"{label}: mean N {mean_n:.1f}, mean anonymity {total_a / len(plain):.1f}")
    base = rows[0]
    for row in rows[1:]:
        print(
            f"{row.setting}: sensitive accuracy {row.sensitive_accuracy:.3f} vs {base.sensitive_accuracy:.3f} "
            f"without a cue ({row.sensitive_accuracy - base.sensitive_accuracy:+.3f}); FCD {row.fcd:.2f} vs "
            f"{base.fcd:.2f}"
        )
    print(f"{args.count} captions x 3 rows in {time.perf_counter() - started:.0f} s")
    if args.json:
        out: dict[str, Any] = {"rows": [dataclasses.asdict(r) for r in rows], "count": args.count}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(out, handle, indent=1, default=_plain)


if __name__ == "__main__":
    main()
