"""Expansion: the candidate set P of a template (full product, or the budget group holding the
user's prompt), its read-back check, and the wire order (shuffle independent of the true member).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from obclip.errors import InvalidInputError
from obclip.privacy.detect import check_length, detect, reading_language
from obclip.privacy.keep import render_form
from obclip.privacy.language import unread_warning, unread_words, unread_words_warning
from obclip.privacy.normalize import Normalized, normalize, normalize_text
from obclip.privacy.residual import Residual, residual
from obclip.privacy.taxonomy import Taxonomy
from obclip.privacy.template import Attribute, Slot, Template

HARD_CAP = 4096
"""Largest candidate set ever materialised; bigger products need `max_candidates`."""

READ_BACK_MS = 3500.0
"""Time that reading a set back may take on a 2-core CPU (`read_back_cap`), so that a prompt is
answered within 5 s whatever its length and number of sensitive words."""

READ_BACK_FLOOR = 64
"""The cap is never below this, a cloud service's default budget (`service.limits`): 64 candidates
of the densest 4,000-character prompt read back in about 4.8 s, as they always have."""


@dataclass(frozen=True)
class CandidateSet:
    """The candidate set P of one request.

    `candidates` is in wire order, exactly what the cloud sees. `true_index`, `true_prompt`,
    `device_prompt` and `warnings` stay in device memory: they are left out of equality, `repr`
    and `public_dict()`, so two sets built from different members of P compare equal.

    `device_prompt` is the text the device encodes for its own steps [k, T): the user's prompt
    as normalised (names, numbers and ages exactly as typed), while the cloud sees only the
    canonical candidates; empty means `true_prompt` (use `device_text`). `warnings` are the
    lines told to the user about how the prompt was read (look-alike letters of another script,
    a language other than English); `refuse_warnings` refuses them under strict.
    """

    candidates: tuple[str, ...]
    template: Template
    attributes: tuple[Attribute, ...]
    fixed: tuple[str, ...]
    notice: str | None
    true_index: int = field(compare=False, repr=False)
    residual: tuple[Residual, ...] = ()
    device_prompt: str = field(default="", compare=False, repr=False)
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def true_prompt(self) -> str:
        """The canonical rendering of the user's prompt (``candidates[true_index]``)."""
        return self.candidates[self.true_index]

    @property
    def device_text(self) -> str:
        """What the device finishes its own latent with: `device_prompt`, or `true_prompt`."""
        return self.device_prompt or self.true_prompt

    @property
    def hidden(self) -> tuple[str, ...]:
        """Names of the attributes that vary across the candidates."""
        return tuple(a.name for a in self.attributes if a.name not in self.fixed)

    def __len__(self) -> int:
        return len(self.candidates)

    def public_dict(self) -> dict[str, object]:
        """What may leave the device: template, attributes, candidates, N, the residual-risk words
        (in clear in every candidate); never the true member."""
        return {
            "template": self.template.text,
            "attributes": [a.public_dict() for a in self.attributes],
            "fixed": list(self.fixed),
            "candidates": list(self.candidates),
            "n": len(self.candidates),
            "residual": [r.public_dict() for r in self.residual],
        }


def build_candidate_set(
    prompt: str,
    *,
    taxonomy: Taxonomy | None = None,
    max_candidates: int | None = None,
    seed: int | None = None,
    read_back: bool = True,
) -> CandidateSet:
    """Detect the sensitive attributes of `prompt` and expand it into its candidate set.

    Args:
        prompt: the user's prompt; it is rewritten canonically, never sent anywhere by this call.
        taxonomy: the attribute taxonomy; the packaged default when ``None``.
        max_candidates: budget M; when the full product is larger, the set is split by a rule
            that depends on the template only and the group holding the prompt is returned.
        seed: ``None`` shuffles with a CSPRNG; an int gives an order that depends only on the
            set and the seed.
        read_back: False skips reading every candidate back to its template (`expand`); only
            for a caller that reads back the set it sends (`view.cloud_view`, whose policy may
            send another set instead).

    The returned set's `device_prompt` is the normalised prompt (what the device draws) and its
    `warnings` tell look-alike letters mixing scripts and a prompt not in English.

    Raises:
        InvalidInputError: empty prompt or one longer than `MAX_PROMPT_CHARS`, bad budget or
            seed, or a set larger than `HARD_CAP`.
    """
    check_length(prompt)
    template = detect(prompt, taxonomy)
    normal = normalize(prompt)
    cset = expand(template, max_candidates=max_candidates, seed=seed, read_back=read_back)
    language = reading_language(prompt, template.taxonomy)
    return replace(cset, device_prompt=normal.text.strip(), warnings=reading_warnings(normal, language))


def reading_warnings(normal: Normalized, language: str | None) -> tuple[str, ...]:
    """The lines told to the user about how a normalised prompt was read (device only: they quote
    the user's own words); `language`: detection's judgement (`detect.reading_language`)."""
    warnings = []
    if normal.mixed_script:
        words = ", ".join(repr(w) for w in normal.mixed_script[:5])
        warnings.append(
            f"look-alike letters of another script in {words}: read (and sent) as "
            f"{', '.join(repr(normalize_text(w)) for w in normal.mixed_script[:5])}"
        )
    if language is not None:
        warnings.append(unread_warning(language))
    elif unread := unread_words(normal.text):
        warnings.append(unread_words_warning(unread))  # "할머니 and 손녀 baking cookies"
    return tuple(warnings)


def refuse_warnings(cset: CandidateSet, option: str = "--strict") -> None:
    """Strict mode: refuse a prompt whose reading was warned about (a word mixing scripts, a
    language other than English), before anything is sent.

    Raises:
        InvalidInputError: naming the option and the warnings.
    """
    if cset.warnings:
        raise InvalidInputError(f"{option}: {'; '.join(cset.warnings)}")


def expand(
    template: Template,
    *,
    true_values: Sequence[str] | Mapping[str, str] | None = None,
    max_candidates: int | None = None,
    seed: int | None = None,
    read_back: bool = True,
) -> CandidateSet:
    """Expand `template` into the candidate set holding the prompt with `true_values`.

    Args:
        template: from `detect`.
        true_values: the user's value per attribute (in `template.attributes` order, or by name);
            defaults to the values `detect` stored on the template.
        max_candidates: budget M (1..`HARD_CAP`), see `build_candidate_set`.
        seed: see `build_candidate_set`.
        read_back: see `build_candidate_set`.

    Raises:
        InvalidInputError: bad values, budget or seed; a set larger than `HARD_CAP` without a
            budget; or a template whose candidates would not read back to the same template
            (possible only with a custom taxonomy whose forms run into the surrounding words).
    """
    values = _true_values(template, true_values)
    _check_seed(seed)
    units = _units(template)
    full = candidate_count(template)
    if max_candidates is None:
        if full > HARD_CAP:
            raise InvalidInputError(
                f"this prompt has {count_text(full)} candidates (more than {HARD_CAP}); "
                "set a budget with max_candidates (--max-candidates)"
            )
        budget = full
    else:
        if isinstance(max_candidates, bool) or not isinstance(max_candidates, int):
            raise InvalidInputError(f"max_candidates must be an integer, got {max_candidates!r}")
        if not 1 <= max_candidates <= HARD_CAP:
            raise InvalidInputError(f"max_candidates must be between 1 and {HARD_CAP}, got {max_candidates}")
        budget = max_candidates

    varied = _split(units, budget)
    assignments = _assignments(template, units, varied, values)
    if read_back and len(assignments) > (cap := read_back_cap(template)):
        length = len(template.render(values))
        words = sum(1 for part in template.parts if isinstance(part, Slot) and part.attribute is not None)
        raise InvalidInputError(
            f"this prompt would have {len(assignments)} candidates, and each is read again before anything is "
            f"sent, to check that the cloud cannot tell yours apart; for {length} characters and "
            f"{words} sensitive words at most {cap} can be checked in time. Set a budget "
            f"with max_candidates (--max-candidates) of at most {cap}, or shorten the prompt"
        )
    rendered = [template.render(assignment) for assignment in assignments]
    if read_back:
        _check_read_back(template, rendered, assignments)

    fixed = tuple(template.attributes[i].name for unit in units if unit not in varied for i in unit.members)
    canonical = tuple(sorted(rendered))
    order = _shuffle(canonical, seed)
    true_prompt = template.render(values)
    return CandidateSet(
        candidates=order,
        template=template.public(),
        attributes=template.attributes,
        fixed=tuple(name for name in (a.name for a in template.attributes) if name in fixed),
        notice=_notice(template, units, varied, budget, len(order)),
        true_index=order.index(true_prompt),
        residual=residual(template),
    )


def read_back_cap(template: Template) -> int:
    """The most candidates of `template` that can be read back within `READ_BACK_MS`.

    Each candidate is detected again, at a cost that grows with the prompt's length (quadratically
    past a few hundred characters) and with its slots: a least-squares fit over 370 corpus prompts
    of 17 to 3,800 characters on a 2-core CPU (0.02 + 0.0016 L + 8.0e-7 L^2 + 0.156 per slot, in
    ms), rounded up; dense prompts of hundreds of slots cost less per slot than it says (25 ms a
    candidate for 4,000 characters of prose with 245 slots), and the cap never falls below
    `READ_BACK_FLOOR`. A 3,400-character prompt of 12 gendered words has 4,096 candidates and took
    44 s to read back before this cap. Deterministic: the same template always gets the same cap.
    """
    length = len(template.render(template.true_values)) if template.true_values is not None else len(template.text)
    slots = sum(1 for part in template.parts if isinstance(part, Slot))
    cost_ms = 0.1 + 0.0017 * length + 8.5e-7 * length * length + 0.16 * slots
    return max(READ_BACK_FLOOR, int(READ_BACK_MS / cost_ms))


def candidate_count(template: Template) -> int:
    """N of the full candidate set of `template`, computed without building it."""
    return math.prod(unit.size for unit in _units(template))


def count_text(n: int) -> str:
    """`n` in words a message can hold: the digits, or "about 10^k" past 15 digits (Python will
    not even print an int past 4,300 digits)."""
    if n < 10**15:
        return str(n)
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


_MAX_UNIT_PRODUCT = 100_000


@dataclass(frozen=True)
class _Unit:
    """Attributes tied by constraints: a free attribute with the pronouns that disagree with it,
    two persons a pronoun sets apart ("a man and a woman; she hands him ..."), or the persons a
    pronoun may speak of with that pronoun ("a bride and groom at the altar, her veil lifted")."""

    members: tuple[int, ...]
    spaces: tuple[tuple[str, ...], ...]
    """Each member's value space (a group's plural may take a partial value that a person cannot)."""
    priority: tuple[int, int]
    edges: tuple[tuple[int, int], ...] = ()
    """Pairs of members (by attribute index) that differ in every choice."""
    agreements: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """(member, others): the member equals one of the others in every choice, or one of them takes
    a partial value the member cannot (a group of "men and women": a pronoun of either agrees)."""

    @functools.cached_property
    def choices(self) -> tuple[tuple[str, ...], ...]:
        """Every assignment of the members that keeps each constrained pair different and each
        agreeing member equal to one of its persons."""
        if not self.edges and not self.agreements:
            return tuple((value,) for value in self.spaces[0])
        if math.prod(len(space) for space in self.spaces) > _MAX_UNIT_PRODUCT:
            raise InvalidInputError("this prompt ties too many words together to expand; shorten it")
        position = {member: i for i, member in enumerate(self.members)}
        pairs = [(position[a], position[b]) for a, b in self.edges]
        agree = [(position[m], tuple(position[o] for o in others)) for m, others in self.agreements]
        return tuple(
            combo
            for combo in itertools.product(*self.spaces)
            if all(combo[a] != combo[b] for a, b in pairs)
            and all(any(combo[o] == combo[m] or combo[o] not in self.spaces[m] for o in others) for m, others in agree)
        )

    @property
    def size(self) -> int:
        return len(self.choices)


def _units(template: Template) -> list[_Unit]:
    names = {a.name: i for i, a in enumerate(template.attributes)}
    parent = list(range(len(template.attributes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges: list[tuple[int, int]] = []
    agreements: list[tuple[int, tuple[int, ...]]] = []
    for i, attribute in enumerate(template.attributes):
        for other in attribute.differs_from:
            j = names[other]
            edges.append((j, i))
            parent[root(i)] = root(j)
        if attribute.agrees_with:
            others = tuple(names[other] for other in attribute.agrees_with)
            agreements.append((i, others))
            for j in others:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(template.attributes)):
        groups.setdefault(root(i), []).append(i)
    taxonomy = template.taxonomy
    return [
        _Unit(
            members=tuple(members),
            spaces=tuple(template.attributes[m].values for m in members),
            priority=(taxonomy.index(template.attributes[members[0]].kind), members[0]),
            edges=tuple(e for e in edges if e[0] in members),
            agreements=tuple(a for a in agreements if a[0] in members),
        )
        for members in groups.values()
    ]


def _split(units: list[_Unit], budget: int) -> list[_Unit]:
    """The budget rule: by (taxonomy attribute order, position), keep varying each unit that
    still fits in the budget; fix the others to the user's values."""
    varied: list[_Unit] = []
    product = 1
    for unit in sorted(units, key=lambda u: u.priority):
        if product * unit.size <= budget:
            varied.append(unit)
            product *= unit.size
    return varied


def _assignments(
    template: Template, units: list[_Unit], varied: list[_Unit], values: tuple[str, ...]
) -> list[tuple[str, ...]]:
    choices = []
    for unit in units:
        if unit in varied:
            choices.append(list(unit.choices))
        else:
            choices.append([tuple(values[i] for i in unit.members)])
    result = []
    for combination in itertools.product(*choices):
        assignment = [""] * len(template.attributes)
        for unit, chosen in zip(units, combination, strict=True):
            for i, value in zip(unit.members, chosen, strict=True):
                assignment[i] = value
        result.append(tuple(assignment))
    return result


def _check_read_back(template: Template, rendered: list[str], assignments: list[tuple[str, ...]]) -> None:
    """Every candidate must detect to this very template and its own values (Theorem 1's premise)."""
    if len(set(rendered)) != len(rendered):
        raise InvalidInputError("two candidates render to the same text; check the taxonomy's forms")
    for number, (text, assignment) in enumerate(zip(rendered, assignments, strict=True)):
        again = detect(text, template.taxonomy)
        if again != template or again.true_values != assignment:
            pronouns = _pronouns_read_otherwise(template, again, assignment)
            if pronouns:
                raise InvalidInputError(
                    f"this prompt cannot be hidden consistently: in some candidates its pronouns "
                    f"({', '.join(repr(p) for p in pronouns)}) would be read as speaking of another person "
                    "than in yours, which would tell the cloud which candidate is yours; nothing was sent. "
                    "Reword it so that it is clear whom each pronoun speaks of (repeat the noun, such as "
                    "'the woman' for 'she'), or use fewer pronouns"
                )
            if template.taxonomy.source.split("+")[-1] != "default":  # a taxonomy of the user's
                raise InvalidInputError(
                    f"candidate #{number} does not read back to the same template with taxonomy "
                    f"{template.taxonomy.source}; a form probably runs into the words around it"
                )
            raise InvalidInputError(
                f"this prompt cannot be hidden consistently: one of its candidates (#{number}) would be "
                "read otherwise than yours, which would tell the cloud which candidate is yours; nothing "
                "was sent. Reword the words next to the ones about a person (gender, age, ethnicity), or "
                "write them apart from the names of things"
            )


def _pronouns_read_otherwise(template: Template, again: Template, assignment: tuple[str, ...]) -> list[str]:
    """The pronouns of the user's prompt (as the user wrote them) whose person a candidate, read
    again, takes otherwise: where the two templates have the same words and slots and differ only
    in which variable a pronoun slot holds. Empty where anything else differs."""
    ours = template.parts
    theirs = again.parts
    if len(ours) != len(theirs):
        return []
    assert template.true_values is not None
    taxonomy = template.taxonomy
    found: list[str] = []
    for mine, other in zip(ours, theirs, strict=True):
        if isinstance(mine, str) or isinstance(other, str):
            if mine != other:
                return []
            continue
        if mine.category != other.category or (mine.attribute is None) != (other.attribute is None):
            return []
        if mine.attribute is None or other.attribute is None:
            continue
        if template.attributes[mine.attribute].kind != again.attributes[other.attribute].kind:
            return []
        if not mine.category.endswith("pronoun") and mine.category != "possessive_determiner":
            continue
        mapped = again.true_values[other.attribute] if again.true_values else None
        if mapped != assignment[mine.attribute] or _moved(template, again, mine, other):
            spec = taxonomy.attribute(template.attributes[mine.attribute].kind)
            word = render_form(taxonomy, spec, template.true_values[mine.attribute], mine.category, mine.form)
            if word not in found:
                found.append(word)
    return found


def _moved(template: Template, again: Template, mine: Slot, other: Slot) -> bool:
    """Whether a pronoun slot is tied, in `again`, to other slots than in `template`."""
    assert mine.attribute is not None and other.attribute is not None
    ours = [i for i, p in enumerate(template.parts) if isinstance(p, Slot) and p.attribute == mine.attribute]
    theirs = [i for i, p in enumerate(again.parts) if isinstance(p, Slot) and p.attribute == other.attribute]
    return ours != theirs


def _true_values(template: Template, true_values: Sequence[str] | Mapping[str, str] | None) -> tuple[str, ...]:
    attributes = template.attributes
    if true_values is None:
        if template.true_values is None:
            raise InvalidInputError("true_values is required for a template without the user's values")
        values = template.true_values
    elif isinstance(true_values, Mapping):
        missing = [a.name for a in attributes if a.name not in true_values]
        if missing or len(true_values) != len(attributes):
            raise InvalidInputError(f"true_values must name exactly {[a.name for a in attributes]}")
        values = tuple(true_values[a.name] for a in attributes)
    else:
        values = tuple(true_values)
        if len(values) != len(attributes):
            raise InvalidInputError(f"true_values needs {len(attributes)} values, got {len(values)}")
    by_name = dict(zip((a.name for a in attributes), values, strict=True))
    by_name_values = {a.name: a.values for a in attributes}
    for attribute, value in zip(attributes, values, strict=True):
        if value not in attribute.values:
            raise InvalidInputError(f"{value!r} is not a value of {attribute.name} ({attribute.kind})")
        if any(by_name[other] == value for other in attribute.differs_from):
            raise InvalidInputError(f"{attribute.name} must differ from {', '.join(attribute.differs_from)}")
        if attribute.agrees_with and all(
            by_name[other] not in (value, *(v for v in by_name_values[other] if v not in attribute.values))
            for other in attribute.agrees_with
        ):
            raise InvalidInputError(f"{attribute.name} must equal one of {', '.join(attribute.agrees_with)}")
    return values


def _check_seed(seed: int | None) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidInputError(f"seed must be an integer or None, got {seed!r}")


def _shuffle(canonical: tuple[str, ...], seed: int | None) -> tuple[str, ...]:
    """Wire order from the sorted set alone: a CSPRNG shuffle, or one keyed by (seed, set)."""
    order = list(canonical)
    if seed is None:
        secrets.SystemRandom().shuffle(order)
    else:
        material = "\x00".join((str(seed), *canonical))
        digest = hashlib.sha256(material.encode()).digest()
        random.Random(int.from_bytes(digest, "big")).shuffle(order)
    return tuple(order)


NOTHING_HIDDEN = "no sensitive attribute detected: N = 1, nothing is hidden"
"""The notice of a set without attributes (the policy's notice opens with it)."""


def _notice(template: Template, units: list[_Unit], varied: list[_Unit], budget: int, n: int) -> str | None:
    if not template.attributes:
        return NOTHING_HIDDEN
    if len(varied) == len(units):
        return None
    fixed = [template.attributes[i].name for u in units if u not in varied for i in u.members]
    hidden = [template.attributes[i].name for u in varied for i in u.members]
    if not hidden:
        return (
            f"budget max_candidates={budget} is too small to vary anything: N = 1, nothing is hidden "
            f"({', '.join(fixed)} visible to the cloud)"
        )
    return (
        f"budget max_candidates={budget} split the set: {', '.join(fixed)} fixed to the prompt's "
        f"value and visible to the cloud; {', '.join(hidden)} hidden among N = {n}"
    )
