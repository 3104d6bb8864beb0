"""Anonymity: how many candidates no word sent in clear rules out (under the cue table), and the
one policy applied before anything is sent (fix what a strong cue reveals, or --generalize it).

Every figure here is a function of the public candidate set (template and candidates), so any
member of the set yields the same anonymity, the same revealed words and the same refusal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from obclip.errors import InvalidInputError
from obclip.privacy.cues import SLOT_MARK, CueHit, cue_table, find_cues, fixed_text
from obclip.privacy.detect import detect
from obclip.privacy.expand import HARD_CAP, CandidateSet, _shuffle, expand
from obclip.privacy.language import ONLY_ENGLISH
from obclip.privacy.template import Slot, Template
from obclip.privacy.words import DETERMINERS, FUNCTION_WORDS, indefinite_article


@dataclass(frozen=True)
class Revealed:
    """A word sent in clear and what it reveals about one person's attribute.

    Args:
        word: the word as sent (a slot's template text for what a slot's category implies).
        attribute: the attribute it speaks about, e.g. ``"gender"``.
        values: the values it points to (within that person's value space when the set has one).
        strength: ``"strong"`` (nearly always) or ``"weak"`` (often).
        person: the person it is read as describing; None without any person.
        varied: whether the set varies that attribute of that person (only then does the word
            rule candidates out).
    """

    word: str
    attribute: str
    values: tuple[str, ...]
    strength: str
    person: int | None
    varied: bool

    def public_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "attribute": self.attribute,
            "values": list(self.values),
            "strength": self.strength,
            "person": self.person,
            "varied": self.varied,
        }


def revealed(cset: CandidateSet) -> tuple[Revealed, ...]:
    """Every cue in the set's fixed text with what it reveals, in text order."""
    return tuple(r for hit in find_cues(cset.template) for r in _reveals(cset, hit))


def _reveals(cset: CandidateSet, hit: CueHit) -> list[Revealed]:
    result = []
    for implication in hit.implications:
        attributes = [a for a in cset.attributes if a.person == hit.person and a.kind == implication.attribute]
        if attributes:
            space = attributes[0].values
            values = tuple(v for v in space if v in implication.values)
            if not values or len(values) == len(space):
                continue  # says nothing within this value space
            varied = any(a.name not in cset.fixed for a in attributes)
        elif hit.slot:
            continue  # what a slot's category implies, about an attribute the set does not have
        else:
            values = tuple(sorted(implication.values))
            varied = False
        result.append(Revealed(hit.word, implication.attribute, values, implication.strength, hit.person, varied))
    return result


def assignments(cset: CandidateSet) -> tuple[tuple[str, ...], ...]:
    """Each candidate's attribute values (in `cset.attributes` order), in wire order.

    Read off the candidates with the template (the cloud can do the same); a candidate the
    template's parser cannot read is detected again instead.
    """
    template = cset.template
    parser = _parser(template)
    result = []
    for candidate in cset.candidates:
        values = _parse(template, parser, candidate)
        if values is None:
            again = detect(candidate, template.taxonomy).true_values
            assert again is not None
            values = again
        result.append(values)
    return tuple(result)


def _parser(template: Template) -> tuple[re.Pattern[str], list[tuple[int, dict[str, str]]]]:
    pattern = []
    groups: list[tuple[int, dict[str, str]]] = []
    for part in template.parts:
        if isinstance(part, str):
            pattern.append(re.escape(part))
        elif part.attribute is None:
            pattern.append("(?:[Aa]n?)")
        else:
            attribute = template.attributes[part.attribute]
            spec = template.taxonomy.attribute(attribute.kind)
            forms = {_capitalised(spec.canonical(v, part.category), part): v for v in attribute.values}
            alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
            pattern.append(f"(?P<s{len(groups)}>{alternatives})")
            groups.append((part.attribute, forms))
    return re.compile("".join(pattern)), groups


def _parse(template: Template, parser: Any, candidate: str) -> tuple[str, ...] | None:
    pattern, groups = parser
    match = pattern.fullmatch(candidate)
    if match is None:
        return None
    values: list[str | None] = [None] * len(template.attributes)
    for number, (attribute, forms) in enumerate(groups):
        value = forms[match.group(f"s{number}")]
        if values[attribute] not in (None, value):
            return None
        values[attribute] = value
    if any(v is None for v in values):
        return None
    read = tuple(v for v in values if v is not None)
    return read if template.render(read) == candidate else None


def _capitalised(word: str, slot: Slot) -> str:
    return word[:1].upper() + word[1:] if slot.capitalize else word


def anonymity(cset: CandidateSet) -> int:
    """How many candidates the words in clear leave as likely as the best: the candidates that
    break the fewest strong, then the fewest weak implications (all of them, when the cues agree
    with each other). 1 for a set of one; N when no cue speaks about a varied attribute."""
    return _anonymity(cset, revealed(cset), assignments(cset))


def _anonymity(cset: CandidateSet, found: tuple[Revealed, ...], rows: tuple[tuple[str, ...], ...]) -> int:
    checks = []
    for r in found:
        if not r.varied:
            continue
        positions = [i for i, a in enumerate(cset.attributes) if a.person == r.person and a.kind == r.attribute]
        checks.append((positions, set(r.values), r.strength == "strong"))
    if not checks:
        return len(cset.candidates)
    scores = []
    for row in rows:
        strong = weak = 0
        for positions, values, is_strong in checks:
            if any(row[i] not in values for i in positions):
                strong += is_strong
                weak += not is_strong
        scores.append((strong, weak))
    best = min(scores)
    return sum(1 for s in scores if s == best)


# ---------------------------------------------------------------------------------------------
# the policy


def apply_policy(
    cset: CandidateSet,
    *,
    generalize: bool = False,
    max_candidates: int | None = None,
    seed: int | None = None,
) -> CandidateSet:
    """The set to send for `cset` (as `build_candidate_set` made it, with the same budget and
    seed): by default an attribute that a strong cue reveals is not varied (fixed to the user's
    value, as a budget fixes one, so every member still yields this set); with `generalize`
    every cue of a varied attribute that has a neutral form is sent as that form instead, the
    attribute stays varied and `device_prompt` keeps the user's full prompt for the device.
    The notice names every word that reveals something, and the anonymity."""
    base = cset
    if generalize:
        cset = _generalized(cset, max_candidates, seed) or cset
    to_fix = _strongly_revealed(cset)
    if to_fix - set(cset.fixed):
        cset = _fix(cset, to_fix, max_candidates, seed)
    cset = _keep_device_prompt(cset, base)
    return replace(cset, notice=policy_notice(cset, max_candidates=max_candidates))


def _strongly_revealed(cset: CandidateSet) -> set[str]:
    """Names of the attributes that a strong cue reveals (varied in `cset` or fixed by its budget:
    a wider re-expansion must not vary them either)."""
    names = set()
    for r in revealed(cset):
        if r.strength == "strong":
            names |= {a.name for a in cset.attributes if a.person == r.person and a.kind == r.attribute}
    return names


def _fix(cset: CandidateSet, names: set[str], budget: int | None, seed: int | None) -> CandidateSet:
    if budget is None:  # the full product: keep the members that share the user's values
        return _filtered(cset, cset.attributes, assignments(cset)[cset.true_index], names, seed)
    template = detect(cset.true_prompt, cset.template.taxonomy)
    assert template.true_values is not None
    factor = math.prod(len(a.values) for a in template.attributes if a.name in names)
    wider = expand(template, max_candidates=min(budget * factor, HARD_CAP), seed=seed)
    result = _filtered(wider, template.attributes, template.true_values, names, seed)
    if len(result) > budget:
        exact = expand(template, max_candidates=budget, seed=seed)
        result = _filtered(exact, template.attributes, template.true_values, names, seed)
    return result


def _filtered(
    cset: CandidateSet, attributes: tuple, values: tuple[str, ...], names: set[str], seed: int | None
) -> CandidateSet:
    mine = {i: values[i] for i, a in enumerate(attributes) if a.name in names}
    rows = zip(cset.candidates, assignments(cset), strict=True)
    kept = [c for c, row in rows if all(row[i] == v for i, v in mine.items())]
    order = _shuffle(tuple(sorted(kept)), seed)
    fixed = tuple(a.name for a in attributes if a.name in names or a.name in cset.fixed)
    return replace(cset, candidates=order, true_index=order.index(cset.true_prompt), fixed=fixed)


def _keep_device_prompt(cset: CandidateSet, base: CandidateSet) -> CandidateSet:
    """The device finishes with the user's prompt: carry it over a re-expansion."""
    if "device_prompt" not in {f.name for f in fields(CandidateSet)}:
        return cset
    own = base.device_prompt or base.true_prompt
    return replace(cset, device_prompt=own if own != cset.true_prompt else base.device_prompt)


_NEXT_WORD = re.compile(rf"\s+({SLOT_MARK}|\w[\w'’-]*)")
_LAST_WORD = re.compile(r"(\w[\w'’-]*)(\s*)$")


def _generalized(cset: CandidateSet, budget: int | None, seed: int | None) -> CandidateSet | None:
    """The set of the user's prompt with every generalisable cue of a varied attribute sent as
    its neutral form; None when there is none, or when the rewritten prompt would not keep the
    same persons and values (then the default policy applies)."""
    taxonomy = cset.template.taxonomy
    template = detect(cset.true_prompt, taxonomy)
    table = cue_table()
    hits = [
        h
        for h in find_cues(template)
        if h.key in table.neutral and not h.slot and any(r.varied for r in _reveals(cset, h))
    ]
    if not hits:
        return None
    text = fixed_text(template)
    for hit in reversed(hits):
        text = _replace(text, hit.start, hit.end, table.neutral[hit.key])
    text = _tidy(text)
    if text.count(SLOT_MARK) != fixed_text(template).count(SLOT_MARK):
        return None
    prompt = _fill(template, text)
    try:
        again = detect(prompt, taxonomy)
    except InvalidInputError:
        return None
    same = [(a.name, a.kind, a.person) for a in again.attributes] == [
        (a.name, a.kind, a.person) for a in template.attributes
    ]
    if not same or again.true_values != template.true_values:
        return None
    return expand(again, max_candidates=budget, seed=seed)


def _replace(text: str, start: int, end: int, neutral: str) -> str:
    table = cue_table()
    before, after = text[:start], text[end:]
    if neutral:
        last = _LAST_WORD.search(before)
        if last and last.group(1).lower() in ("a", "an"):
            article = indefinite_article(neutral)
            article = article.capitalize() if last.group(1)[0].isupper() else article
            before = before[: last.start()] + article + last.group(2)
        return before + neutral + after
    following = _NEXT_WORD.match(after)
    if following and (following.group(1) == SLOT_MARK or following.group(1).lower() not in FUNCTION_WORDS):
        return before + after.lstrip()  # a modifier of the next word: drop it alone
    # the head of its phrase: drop its article and modifiers, and the "with" that only it needed
    while (last := _LAST_WORD.search(before)) and last.group(1).lower() in table.modifiers:
        before = before[: last.start()]
    if (last := _LAST_WORD.search(before)) and last.group(1).lower() in DETERMINERS | {"his", "her", "some"}:
        before = before[: last.start()]
    joined = re.match(r"\s*and\s+", after)
    if (last := _LAST_WORD.search(before)) and last.group(1).lower() in table.links:
        if joined and last.group(1).lower() != "and":
            return before + after[joined.end() :]  # "with a beard and glasses" -> "with glasses"
        before = before[: last.start()]
    return before.rstrip() + after


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?)])", r"\1", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r"\(\s*\)", "", text)
    return text.strip(" \t,")


def _fill(template: Template, text: str) -> str:
    """`text` (fixed text with slot marks) with each slot rendered for the user's values."""
    assert template.true_values is not None
    pieces = text.split(SLOT_MARK)
    slots = [p for p in template.parts if isinstance(p, Slot)]
    out = [pieces[0]]
    articles = []
    for slot, piece in zip(slots, pieces[1:], strict=True):
        if slot.attribute is None:
            articles.append((len(out), slot))
            out.append("")
        else:
            spec = template.taxonomy.attribute(template.attributes[slot.attribute].kind)
            out.append(_capitalised(spec.canonical(template.true_values[slot.attribute], slot.category), slot))
        out.append(piece)
    for index, slot in articles:
        following = re.search(r"\w[\w'’-]*", "".join(out[index + 1 :]))
        out[index] = _capitalised(indefinite_article(following.group() if following else "a"), slot)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# telling and refusing


def policy_notice(cset: CandidateSet, *, max_candidates: int | None = None) -> str | None:
    """What the user is told before sending: which words reveal what, what is not varied because
    of them, and the anonymity ("hidden among A of N"); a prompt not in English is told so here
    too (the set's `warnings`, device side)."""
    found = revealed(cset)
    parts = []
    if not cset.attributes:
        parts.append(cset.notice or "no sensitive attribute detected: N = 1, nothing is hidden")
    by_cue = set()
    for r in found:
        if r.strength == "strong" and not r.varied and _has(cset, r):
            by_cue.add(r.attribute)
    budget_fixed = [a.name for a in cset.attributes if a.name in cset.fixed and a.kind not in by_cue]
    if budget_fixed and max_candidates is not None:
        parts.append(
            f"budget max_candidates={max_candidates}: {', '.join(budget_fixed)} fixed to the prompt's value and "
            "visible to the cloud"
        )
    fixed_by: dict[str, list[str]] = {}
    suggests: dict[str, list[str]] = {}
    absent: dict[str, list[str]] = {}
    for r in found:
        if r.strength == "strong" and not r.varied and _has(cset, r):
            fixed_by.setdefault(r.word, []).append(r.attribute)
        elif r.varied:
            suggests.setdefault(r.word, []).append(f"{'/'.join(r.values)} ({r.attribute}, {r.strength})")
        else:
            absent.setdefault(r.word, []).append(r.attribute)
    told = [
        f"{word!r} reveals {_and(names)}, so {_and(names)} {'is' if len(names) == 1 else 'are'} not varied "
        f"(a smaller set); remove it to hide {_and(names)}"
        for word, names in fixed_by.items()
    ]
    told += [f"{word!r} suggests {_and(what)}" for word, what in suggests.items()]
    told += [f"{word!r} reveals {_and(names)} (not varied)" for word, names in absent.items()]
    parts.extend(told)
    if cset.attributes:
        a, n = anonymity(cset), len(cset.candidates)
        if parts or a < n:
            parts.append(f"hidden among {a} of {n}")
    parts += [w for w in getattr(cset, "warnings", ()) if w.startswith(ONLY_ENGLISH)]
    return "; ".join(parts) if parts else None


def _and(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _has(cset: CandidateSet, r: Revealed) -> bool:
    return any(a.person == r.person and a.kind == r.attribute for a in cset.attributes)


def generalized(cset: CandidateSet) -> tuple[tuple[str, str], ...]:
    """(word, what was sent instead) for each cue of the user's prompt that the set generalised
    (device memory: read from `device_prompt`)."""
    own = getattr(cset, "device_prompt", "")
    if not own or own == cset.true_prompt:
        return ()
    table = cue_table()
    sent = [h.key for h in find_cues(cset.template)]
    result = []
    for hit in find_cues(detect(own, cset.template.taxonomy)):
        if hit.key in sent:
            sent.remove(hit.key)
        elif hit.key in table.neutral:
            result.append((hit.word, table.neutral[hit.key]))
    return tuple(result)


def report(cset: CandidateSet) -> dict[str, Any]:
    """The anonymity fields of `obclip candidates --json` and the API report: `anonymity`,
    `revealed`, `assignments`, `yours` (the user's candidate as sent) and `generalized`."""
    found = revealed(cset)
    rows = assignments(cset)
    return {
        "anonymity": _anonymity(cset, found, rows),
        "revealed": [r.public_dict() for r in found],
        "assignments": [list(row) for row in rows],
        "yours": cset.true_prompt,
        "generalized": [{"word": w, "sent_as": s} for w, s in generalized(cset)],
    }


def check_anonymity(
    cset: CandidateSet, *, strict: bool = False, min_anonymity: int | None = None, prefix: str = "--"
) -> None:
    """Refuse, before anything is sent: with `strict`, while any word in clear reveals a sensitive
    attribute (a cue or a residual-risk word); with `min_anonymity` K, when fewer than K
    candidates remain plausible. `prefix` names the options as the caller spells them
    (``"--"`` for the command line, ``""`` for the API).

    Raises:
        InvalidInputError: one line, naming the words.
    """
    option = f"{prefix}min{'-' if prefix else '_'}anonymity"
    if min_anonymity is not None and (
        isinstance(min_anonymity, bool) or not isinstance(min_anonymity, int) or min_anonymity < 1
    ):
        raise InvalidInputError(f"{option} must be a positive integer, got {min_anonymity!r}")
    if strict and (cset.residual or revealed(cset)):
        words = residual_text(cset) or "; ".join(
            dict.fromkeys(f"{r.word} ({r.attribute}: {'/'.join(r.values)})" for r in revealed(cset))
        )
        raise InvalidInputError(f"{prefix}strict: residual risk would be sent in clear: {words}")
    if min_anonymity is not None:
        a = anonymity(cset)
        if a < min_anonymity:
            why = "; ".join(dict.fromkeys(f"{r.word!r} reveals {r.attribute}" for r in revealed(cset)))
            raise InvalidInputError(
                f"{option} {min_anonymity}: the prompt would be hidden among only {a} of {len(cset.candidates)}"
                + (f" ({why})" if why else "")
                + "; remove those words, or generalise them (--generalize)"
            )


def residual_text(cset: CandidateSet) -> str:
    """The residual-risk words of a candidate set on one line: `word (reason); ...`."""
    return "; ".join(f"{r.word} ({r.reason})" for r in cset.residual)
