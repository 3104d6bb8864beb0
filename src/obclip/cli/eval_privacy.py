"""`obclip eval privacy FILE.tsv`: the privacy figures of the candidate sets over a labelled prompt
corpus (plus hostile-Unicode and 100 kB prompts), as a table and JSON; no torch on this path."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(what: argparse._SubParsersAction) -> None:
    p = what.add_parser(
        "privacy",
        help="leaks, disagreeing candidates, context attacker, hostile Unicode, long prompts over a labelled corpus",
    )
    p.add_argument("corpus", nargs="+", metavar="FILE.tsv", help="corpus files (format: docs/privacy-evaluation.md)")
    p.add_argument("--large", default="embedded:default", metavar="MODEL", help="the model whose set is evaluated")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy file replacing the default and the model's")
    p.add_argument("--max-candidates", type=int, metavar="M", help="budget on N, as generate takes it")
    p.add_argument("--closure-members", type=int, default=4, metavar="K", help="members re-expanded per prompt")
    p.add_argument("--seed", type=int, help="shuffle seed (default: a CSPRNG, as generate)")
    p.add_argument("--no-hostile", action="store_true", help="skip the hostile-Unicode prompts made from the corpus")
    p.add_argument("--no-stress", action="store_true", help="skip the 100 kB prompts")
    policy = p.add_mutually_exclusive_group()
    policy.add_argument(
        "--generalize",
        dest="policy",
        action="store_const",
        const="generalize",
        help="evaluate the sets sent under generalize, the default (a cue sent as its neutral form)",
    )
    policy.add_argument(
        "--keep-cues",
        dest="policy",
        action="store_const",
        const="keep-cues",
        help="evaluate the sets sent under --keep-cues (a cue sent as written, its attribute fixed)",
    )
    p.add_argument(
        "--send-unread",
        action="store_true",
        help="evaluate the sets sent with --send-unread (a prompt not in English sent as written; by default refused)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the summary and the failing prompts as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_eval_privacy)


def _run_eval_privacy(args: argparse.Namespace) -> int:
    from obclip.eval.privacy import evaluate_corpus, format_table, read_corpus, to_json

    items = [item for path in args.corpus for item in read_corpus(path)]
    progress = None
    if not args.quiet:
        from tqdm.auto import tqdm

        def progress(it):
            return tqdm(it, desc="prompts", unit="prompt")

    # These flags are evaluate_corpus's keywords, under the same names.
    names = ("large", "taxonomy", "max_candidates", "closure_members", "seed", "policy", "send_unread")
    options = {name: getattr(args, name) for name in names}
    summary, results = evaluate_corpus(
        items, progress=progress, hostile=not args.no_hostile, stress=not args.no_stress, **options
    )
    from obclip.privacy.correlate import resolve_policy

    title = f"obclip eval privacy: {', '.join(args.corpus)} (model {args.large}, policy {resolve_policy(args.policy)}"
    title += ", --send-unread)" if args.send_unread else ")"
    print(format_table(summary, title=title))
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(summary, results), indent=2, ensure_ascii=False) + "\n")
    return 0
