"""`obclip candidates`: exactly what the cloud would see for a prompt and a model (standard library
and `privacy` only; the model's taxonomy is found without torch)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
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
    add_anonymity_options(p)
    p.add_argument("--seed", type=int, help="shuffle seed (default: a CSPRNG)")
    p.set_defaults(run=_run_candidates)


def add_anonymity_options(p: argparse.ArgumentParser) -> None:
    """--keep-cues (--generalize), --min-anonymity, --strict and --send-unread: the anonymity policy
    (docs/privacy.md, "The policy"); `obclip candidates`, `generate` and `demo` share them (`args.policy`)."""
    from obclip.privacy.correlate import DEFAULT_POLICY, GENERALIZE, KEEP_CUES

    policy = p.add_mutually_exclusive_group()
    policy.add_argument(
        "--keep-cues",
        dest="policy",
        action="store_const",
        const=KEEP_CUES,
        help="send a word that reveals an attribute (beard, kimono, wedding dress) as written and stop varying "
        "that attribute (a smaller set, told); by default such a word is sent as a neutral form (beard dropped, "
        "wedding dress -> wedding outfit) and the attribute stays varied, the device finishing with your full prompt",
    )
    policy.add_argument(
        "--generalize",
        dest="policy",
        action="store_const",
        const=GENERALIZE,
        help="the default policy, kept so that older commands still work",
    )
    p.set_defaults(policy=DEFAULT_POLICY)
    p.add_argument(
        "--min-anonymity",
        type=int,
        metavar="K",
        help="refuse unless the prompt is hidden among at least K candidates that no word in clear rules out",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse while any word sent in clear reveals a sensitive attribute (a cue or a residual-risk word)",
    )
    p.add_argument(
        "--send-unread",
        action="store_true",
        help="send a prompt obclip cannot read (not in English) as written, knowing the cloud reads it exactly; "
        "by default such a prompt is refused before anything is sent",
    )


def _run_candidates(args: argparse.Namespace) -> int:
    from obclip.privacy import refuse_warnings
    from obclip.privacy.correlate import check_anonymity, report
    from obclip.view import check_read, cloud_view

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
            policy=args.policy,
        )
        check_read(prompt, send_unread=args.send_unread, option="--send-unread")
        check_anonymity(cset, strict=args.strict, min_anonymity=args.min_anonymity)
        if args.strict:
            refuse_warnings(cset)
        check_prompt_lengths(prompt, cset.candidates, args.large)  # quotes the user's text, never a candidate
        return cset

    def record(cset) -> dict:
        return {**cset.public_dict(), "notice": cset.notice, **report(cset)}

    if args.prompt != "-":
        cset = expand(args.prompt)
        tell_residual(cset)
        if args.json:
            print(json.dumps(record(cset), ensure_ascii=False))
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
            line = record(expand(prompt))
        except ObclipError as exc:
            failed += 1
            line = {"line": number, "error": {"code": exc.code, "message": str(exc)}}
        print(json.dumps(line, ensure_ascii=False), flush=False)
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


def tell_residual(cset: CandidateSet) -> None:
    """Before anything is sent, one line on stderr (`obclip candidates`, `generate` and `demo`
    alike): the words in clear that reveal an attribute and what the policy did about them,
    the anonymity, the other residual-risk words, and what the default policy sent instead."""
    from obclip.privacy.correlate import generalized, residual_text, revealed

    parts = []
    found = revealed(cset)
    if found and cset.notice:
        parts.append(cset.notice)
    told = {r.word for r in found}
    others = [r for r in cset.residual if r.word not in told]
    if others:
        parts.append(f"sent in clear in every candidate: {residual_text(replace(cset, residual=tuple(others)))}")
    swapped = generalized(cset)
    if swapped:
        sent = ", ".join(f"{word!r} as {(neutral and repr(neutral)) or 'nothing'}" for word, neutral in swapped)
        parts.append(f"generalised for the cloud: {sent}; the device finishes with your full prompt")
    if parts:
        print(f"obclip: notice: {'; '.join(parts)}", file=sys.stderr)


def _print_candidate_set(cset) -> None:
    public = cset.public_dict()
    print(f"template:   {public['template']}")
    names = [a["name"] if isinstance(a, dict) else str(a) for a in public["attributes"]]
    print(f"attributes: {', '.join(names) if names else '(none)'}")
    print(f"candidates: N = {public['n']}")
    for prompt in public["candidates"]:
        print(f"  {prompt}")
    from obclip.privacy.correlate import anonymity

    print(f"anonymity:  hidden among {anonymity(cset)} of {public['n']}")
    # shown here, on the device only: the user's own prompt as it is sent (canonical forms)
    print(f"yours:      {cset.true_prompt}")
    if cset.device_prompt and cset.device_prompt != cset.true_prompt:
        print(f"finished:   {cset.device_prompt}  (on the device only)")
    if cset.notice:
        print(f"notice:     {cset.notice}")
