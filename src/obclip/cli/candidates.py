"""`obclip candidates`: exactly what the cloud would see for a prompt and a model (standard library
and `privacy` only; the model's taxonomy is found without torch)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from obclip.cli._common import EXIT_USAGE
from obclip.defaults import DEFAULT_LARGE
from obclip.errors import InvalidInputError, ObclipError

if TYPE_CHECKING:
    from obclip.privacy import CandidateSet


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("candidates", help="show exactly what the cloud would see for a prompt")
    p.add_argument("prompt", help="the prompt, or - to read one prompt per line from stdin (JSON Lines out)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--large",
        default=DEFAULT_LARGE,
        metavar="MODEL",
        help=f"the cloud model `generate` would use; its own taxonomy joins the default (default {DEFAULT_LARGE})",
    )
    p.add_argument("--max-candidates", type=int, metavar="M", help="budget on the number of candidates")
    p.add_argument("--taxonomy", metavar="FILE", help="taxonomy file replacing the default and the model's")
    p.add_argument(
        "--religion", action="store_true", help="also vary religion (an opt-in attribute of the default taxonomy)"
    )
    p.add_argument("--strict", action="store_true", help="refuse while any residual-risk word would be sent")
    p.add_argument("--seed", type=int, help="shuffle seed (default: a CSPRNG)")
    p.set_defaults(run=_run_candidates)


def _run_candidates(args: argparse.Namespace) -> int:
    from obclip.view import cloud_view

    opt_in = ("religion",) if args.religion else ()

    from obclip.prompt_tokens import check_prompt_lengths, counter_for

    def expand(prompt: str):
        cset = cloud_view(
            prompt,
            large=args.large,
            taxonomy=args.taxonomy,
            max_candidates=args.max_candidates,
            seed=args.seed,
            opt_in=opt_in,
        )
        if args.strict:
            refuse_residual(cset)
        check_prompt_lengths(prompt, cset.candidates, args.large)  # quotes the user's text, never a candidate
        return cset

    if args.prompt != "-":
        cset = expand(args.prompt)
        tell_residual(cset)
        if args.json:
            print(json.dumps({**cset.public_dict(), "notice": cset.notice}, ensure_ascii=False))
        else:
            _print_candidate_set(cset)
            counter = counter_for(args.large)
            if counter is not None:  # the user's own prompt against the text encoder's chunks
                print(f"tokens:     {counter.layout(args.prompt).describe()}")
        return 0
    failed = 0
    for number, prompt in _stdin_lines():
        if prompt is not None and not prompt.strip():
            continue  # a blank line (a file's last, a separator) holds no prompt
        try:
            if prompt is None:
                raise InvalidInputError("line is not valid UTF-8 text")
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


def _stdin_lines() -> Iterator[tuple[int, str | None]]:
    """(line number, text) per stdin line, read as bytes so that a line that is not UTF-8 is an
    error of that line (None), whatever the locale's encoding."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:
        for number, line in enumerate(sys.stdin, start=1):
            yield number, line.rstrip("\r\n")
        return
    for number, line in enumerate(raw, start=1):
        try:
            yield number, line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, None


def residual_text(cset: CandidateSet) -> str:
    """The residual-risk words of a candidate set on one line: `word (reason); ...`."""
    return "; ".join(f"{r.word} ({r.reason})" for r in cset.residual)


def tell_residual(cset: CandidateSet) -> None:
    """Before anything is sent: list on stderr the words every candidate carries in clear that may
    still reveal a sensitive attribute (`obclip candidates`, `generate` and `demo` alike)."""
    if cset.residual:
        print(f"obclip: notice: sent in clear in every candidate: {residual_text(cset)}", file=sys.stderr)


def refuse_residual(cset: CandidateSet, option: str = "--strict") -> None:
    """`--strict` (or the API's `strict=True`, named by `option`): refuse while any residual-risk
    word would be sent in clear, before anything is sent."""
    if cset.residual:
        raise InvalidInputError(f"{option}: residual risk would be sent in clear: {residual_text(cset)}")


def _print_candidate_set(cset) -> None:
    public = cset.public_dict()
    print(f"template:   {public['template']}")
    names = [a["name"] if isinstance(a, dict) else str(a) for a in public["attributes"]]
    print(f"attributes: {', '.join(names) if names else '(none)'}")
    print(f"candidates: N = {public['n']}")
    for prompt in public["candidates"]:
        print(f"  {prompt}")
    # shown here, on the device only: the user's own prompt as it is sent (canonical forms)
    print(f"yours:      {cset.true_prompt}")
    if cset.notice:
        print(f"notice:     {cset.notice}")
