"""`obclip candidates`: what the cloud would see for a prompt (standard library and `privacy` only)."""

from __future__ import annotations

import argparse
import json
import sys

from obclip.cli._common import EXIT_USAGE
from obclip.errors import ObclipError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("candidates", help="show exactly what the cloud would see for a prompt")
    p.add_argument("prompt", help="the prompt, or - to read one prompt per line from stdin (JSON Lines out)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--max-candidates", type=int, metavar="M", help="budget on the number of candidates")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy file replacing the default")
    p.add_argument("--seed", type=int, help="shuffle seed (default: a CSPRNG)")
    p.set_defaults(run=_run_candidates)


def _run_candidates(args: argparse.Namespace) -> int:
    from obclip.privacy import build_candidate_set, load_taxonomy

    taxonomy = load_taxonomy(args.taxonomy) if args.taxonomy else None

    def expand(prompt: str):
        return build_candidate_set(prompt, taxonomy=taxonomy, max_candidates=args.max_candidates, seed=args.seed)

    if args.prompt != "-":
        cset = expand(args.prompt)
        if args.json:
            print(json.dumps({**cset.public_dict(), "notice": cset.notice}, ensure_ascii=False))
        else:
            _print_candidate_set(cset)
        return 0
    failed = 0
    for number, line in enumerate(sys.stdin, start=1):
        prompt = line.rstrip("\r\n")
        try:
            cset = expand(prompt)
            record = {**cset.public_dict(), "notice": cset.notice}
        except ObclipError as exc:
            failed += 1
            record = {"line": number, "error": {"code": exc.code, "message": str(exc)}}
        print(json.dumps(record, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    if failed:
        print(f"obclip: error: {failed} prompt(s) could not be expanded (see their error lines)", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _print_candidate_set(cset) -> None:
    public = cset.public_dict()
    print(f"template:   {public['template']}")
    names = [a["name"] if isinstance(a, dict) else str(a) for a in public["attributes"]]
    print(f"attributes: {', '.join(names) if names else '(none)'}")
    print(f"candidates: N = {public['n']}")
    for prompt in public["candidates"]:
        print(f"  {prompt}")
    if cset.notice:
        print(f"notice:     {cset.notice}")
