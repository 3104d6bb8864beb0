"""One view of the cloud: the candidate set a request sends for a model, found without torch, so
`obclip candidates --large MODEL` and `generate` show and send the very same set.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from obclip.defaults import DEFAULT_LARGE, EMBEDDED_PREFIX
from obclip.engine import embedded
from obclip.privacy import CandidateSet, Taxonomy, build_candidate_set, combine_taxonomies, default_taxonomy
from obclip.privacy import load_taxonomy as _load_taxonomy

TAXONOMY_FILE = "obclip_taxonomy.json"


def model_taxonomy(large: str) -> Path | None:
    """The taxonomy file that comes with a model: the embedded world's (from the engine's registry,
    which imports no torch), or `obclip_taxonomy.json` in a local model directory."""
    if large.startswith(EMBEDDED_PREFIX):
        return embedded.lookup(large).taxonomy_path()
    path = Path(large).expanduser() / TAXONOMY_FILE
    return path if path.is_file() else None


def resolve_taxonomy(taxonomy: Taxonomy | str | Path | None, large: str, *, opt_in: tuple[str, ...] = ()) -> Taxonomy:
    """The taxonomy a request is expanded with: `taxonomy` when given (a `Taxonomy` or a file),
    else the packaged default (with the `opt_in` attributes) extended by the model's own."""
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    if taxonomy is not None:
        return _load_taxonomy(taxonomy)
    own = model_taxonomy(large)
    return _with_model_taxonomy(str(own) if own else None, tuple(sorted(opt_in)))


@functools.lru_cache(maxsize=16)
def _with_model_taxonomy(own: str | None, opt_in: tuple[str, ...]) -> Taxonomy:
    base = default_taxonomy(opt_in)
    return combine_taxonomies(_load_taxonomy(own), base) if own else base


def cloud_view(
    prompt: str,
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    seed: int | None = None,
    opt_in: tuple[str, ...] = (),
    policy: str | None = None,
    generalize: bool | None = None,
) -> CandidateSet:
    """The candidate set that a request for `prompt` to model `large` sends to the cloud.

    `generate` and `obclip candidates` both call this, so what the user is shown is what is sent.
    The anonymity policy (`privacy.correlate.apply_policy`) is applied here: by default a cue
    is sent as a neutral form and its attribute stays varied; with `policy="keep-cues"` (or the
    older `generalize=False`) the cue is sent and the attribute a strong cue reveals is not varied.
    """
    from obclip.privacy.correlate import apply_policy

    resolved = resolve_taxonomy(taxonomy, large, opt_in=opt_in)
    # the user's set is read back (every member detects to its template) only where it is the one
    # sent: a policy that sends cues as neutral forms expands and reads back a set of its own, and
    # reading both had doubled the time of a large set (2,592 members: 5.4 s -> 2.7 s)
    cset = build_candidate_set(prompt, taxonomy=resolved, max_candidates=max_candidates, seed=seed, read_back=False)
    sent = apply_policy(cset, policy=policy, generalize=generalize, max_candidates=max_candidates, seed=seed)
    if sent.template == cset.template:
        build_candidate_set(prompt, taxonomy=resolved, max_candidates=max_candidates, seed=seed)
    return sent


def checked_view(
    prompt: str,
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    shuffle_seed: int | None = None,
    opt_in: str | Sequence[str] = (),
    strict: bool = False,
    policy: str | None = None,
    generalize: bool | None = None,
    min_anonymity: int | None = None,
    send_unread: bool = False,
    negative_prompt: str = "",
    flags: bool = False,
) -> CandidateSet:
    """`cloud_view` with every privacy refusal applied, the one place they are made: a prompt obclip
    cannot read (not in English) unless `send_unread`, the anonymity policy (`strict`,
    `min_anonymity`), strict mode's reading warnings, and a negative prompt that states a
    sensitive attribute. `api.plan` calls it, and the command line before it loads or sends
    anything (`flags=True` names the options as its flags)."""
    from obclip.privacy import refuse_warnings
    from obclip.privacy.correlate import check_anonymity

    cset = cloud_view(
        prompt,
        large=large,
        taxonomy=taxonomy,
        max_candidates=max_candidates,
        seed=shuffle_seed,
        opt_in=(opt_in,) if isinstance(opt_in, str) else tuple(opt_in),
        policy=policy,
        generalize=generalize,
    )
    # after the set is built, so a prompt that is no text or too long is refused as such first
    option = "--send-unread" if flags else UNREAD_OPTION
    check_read(prompt, send_unread=send_unread, option=option, taxonomy=cset.template.taxonomy)
    prefix = "--" if flags else ""
    check_anonymity(cset, strict=strict, min_anonymity=min_anonymity, prefix=prefix)
    if strict:
        refuse_warnings(cset, f"{prefix}strict")
    check_negative_prompt(negative_prompt, cset.template.taxonomy)
    return cset


UNREAD_OPTION = "send_unread=True"
"""How the opt-in is named to a Python caller (`GenerationOptions.private.send_unread`); the command
line says `--send-unread`, the app its setting's label."""


def check_read(
    prompt: str, *, send_unread: bool = False, option: str = UNREAD_OPTION, taxonomy: Taxonomy | None = None
) -> None:
    """Refuse a prompt obclip cannot read (`privacy.language.prompt_language`: not in English), before
    anything is built, sent or loaded: no word of it could be hidden, so the cloud would read the
    user's prompt exactly. `send_unread=True` is the user's explicit opt-in to send it as written
    (told in the notice). The refusal names `option`, the opt-in as the caller's front end spells it.
    `taxonomy`: the one the set is built with (the default when None), so the refusal judges the text
    exactly as detection does (`detect.reading_language`).

    Raises:
        InvalidInputError: one line saying why and what to do.
    """
    if send_unread:
        return
    from obclip.privacy.language import prompt_language, unread_refusal

    language = prompt_language(prompt, taxonomy)
    if language is not None:
        from obclip.errors import InvalidInputError

        raise InvalidInputError(unread_refusal(language, option))


def check_negative_prompt(negative: str, taxonomy: Taxonomy) -> None:
    """Refuse a negative prompt that names a sensitive attribute: the cloud reads it in clear.

    "old man" as a negative says the user's own subject is probably neither; obclip does not vary
    a negative prompt over candidates, so any attribute word (bound to a person or not) and any
    residual-risk word (a garment, feature or place that correlates with one) is refused.
    """
    if not isinstance(negative, str) or not negative.strip():
        return
    from obclip.privacy import detect, normalize_text
    from obclip.privacy.residual import residual
    from obclip.privacy.taxonomy import fold, surface_key

    negative = normalize_text(negative)  # "wo\u200bman" or "wоman" (Cyrillic о) is read as "woman"

    found = {
        f"{m.group()!r} ({taxonomy.attributes[taxonomy.lexicon[surface_key(m.group())].attribute].name})"
        for m in taxonomy.matcher.finditer(fold(negative))
    }
    found |= {f"{r.word!r} ({r.reason})" for r in residual(detect(negative, taxonomy))}
    if found:
        from obclip.errors import InvalidInputError

        raise InvalidInputError(
            f"the negative prompt states {', '.join(sorted(found))}; the cloud reads it in clear, so it would "
            "learn about the person you ask for. Leave such words out of the negative prompt"
        )
