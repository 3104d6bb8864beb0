"""Privacy of the candidate sets over a labelled prompt corpus (`obclip eval privacy FILE.tsv`):
leaks per category, disagreeing candidates, closure, position uniformity, surface attackers
against 1/N, false positives, changed user prompts and mean N. Corpus format: docs/privacy.md.
"""

from __future__ import annotations

import csv
import difflib
import math
import random
import re
import secrets
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from obclip.errors import InvalidInputError, ObclipError, read_user_text
from obclip.privacy import CandidateSet, Taxonomy, default_taxonomy
from obclip.privacy.binding import binding
from obclip.privacy.taxonomy import fold
from obclip.view import DEFAULT_LARGE, cloud_view, resolve_taxonomy

CATEGORIES = ("gender", "age", "ethnicity", "religion")
"""The sensitive categories a corpus may label; the targets count the first three."""

_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]")
_WORDS = re.compile(r"\w[\w'’-]*")
_SENTENCE = re.compile(r"(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bdr)[.!?;]+\s+")
_UNIFORM_BINS = 11


@dataclass(frozen=True)
class CorpusPrompt:
    """One corpus line: the prompt, its labelled sensitive words, and whether it shows a person."""

    prompt: str
    labels: tuple[tuple[str, str], ...]
    person: bool
    line: int

    def words(self, categories: Iterable[str] = CATEGORIES) -> list[str]:
        wanted = set(categories)
        return [word for category, word in self.labels if category in wanted]


def read_corpus(path: str | Path) -> list[CorpusPrompt]:
    """Read a corpus TSV: ``prompt<TAB>sensitive<TAB>person`` (docs/privacy.md, "Evaluation corpus").

    Raises:
        InvalidInputError: with the file and line of the first malformed row.
    """
    path = Path(path)
    text = read_user_text(path, "corpus")
    result: list[CorpusPrompt] = []
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
        if not row or row[0].startswith("#") or row == ["prompt", "sensitive", "person"]:
            continue
        if len(row) != 3:
            raise InvalidInputError(f"corpus {path}, line {number}: expected 3 tab-separated fields, got {len(row)}")
        prompt, sensitive, person = row
        labels: list[tuple[str, str]] = []
        for item in filter(None, (s.strip() for s in sensitive.split(","))):
            if item == "-":
                continue
            category, _, word = item.partition(":")
            if category not in CATEGORIES or not word.strip():
                raise InvalidInputError(
                    f"corpus {path}, line {number}: label {item!r} must be CATEGORY:WORDS with a category "
                    f"in {', '.join(CATEGORIES)}"
                )
            labels.append((category, word.strip()))
        if person not in ("yes", "no"):
            raise InvalidInputError(f"corpus {path}, line {number}: person must be yes or no, got {person!r}")
        if not prompt.strip():
            raise InvalidInputError(f"corpus {path}, line {number}: empty prompt")
        result.append(CorpusPrompt(prompt, tuple(labels), person == "yes", number))
    if not result:
        raise InvalidInputError(f"corpus {path} has no prompts")
    return result


# --- what a candidate says ------------------------------------------------------------------


def _count(word: str, text: str) -> int:
    pattern = r"(?<![\w-])" + r"\s+".join(re.escape(p) for p in fold(word).split()) + r"(?![\w-])"
    return len(re.findall(pattern, fold(text)))


@dataclass(frozen=True)
class _Lexicon:
    gender: dict[str, tuple[str, bool]]
    age: dict[str, tuple[str, bool]]
    other: frozenset[str]


def _lexicon(taxonomy: Taxonomy) -> _Lexicon:
    """Gendered and aged words of the default taxonomy: word -> (value, is a pronoun or noun)."""
    gender: dict[str, tuple[str, bool]] = {}
    age: dict[str, tuple[str, bool]] = {}
    rules = binding()
    for spec in taxonomy.attributes:
        table = gender if spec.name == "gender" else age if spec.name == "age" else None
        if table is None:
            continue
        for value in spec.values:
            for category, forms in spec.forms[value].items():
                for form in forms:
                    if " " not in form:
                        table.setdefault(
                            fold(form), (value, rules.rule(category) in ("always", "capitalised", "title"))
                        )
    other = frozenset(w for key in taxonomy.lexicon for w in key.split(" ")[:1])
    return _Lexicon(gender, age, other)


_PRONOUNS = {
    "she": "female",
    "her": "female",
    "hers": "female",
    "herself": "female",
    "he": "male",
    "him": "male",
    "his": "male",
    "himself": "male",
}
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "once", "ewe")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


def _article_ok(article: str, word: str) -> bool:
    w = word.lower()
    if w[:1].isdigit():
        digits = re.match(r"\d+", w)
        number = digits.group() if digits else ""
        vowel = number.startswith("8") or number in ("11", "18")
    elif w.startswith(_VOWEL_SOUND):
        vowel = True
    elif w.startswith(_CONSONANT_SOUND):
        vowel = False
    else:
        vowel = w[:1] in "aeiou"
    return (article == "an") == vowel


def disagreements(text: str, lexicon: _Lexicon) -> list[str]:
    """Words of one candidate that disagree with each other: a pronoun with the persons of its
    sentence, a title with the name after it, an age modifier with an aged noun, an article."""
    problems: list[str] = []
    tokens = _TOKEN.findall(text)
    lowered = [fold(t) for t in tokens]
    for i, token in enumerate(lowered[:-1]):
        if token in ("a", "an"):
            nxt = next((t for t in tokens[i + 1 :] if t not in "([\"'“‘*"), "")
            known = fold(nxt) in lexicon.gender or fold(nxt) in lexicon.age or fold(nxt) in lexicon.other
            if nxt and nxt[0].isalnum() and known and not _article_ok(token, nxt):
                problems.append(f"{tokens[i]} {nxt}")
    for sentence in _SENTENCE.split(fold(text)):
        words = _WORDS.findall(sentence)
        persons: set[str] = set()
        for j, word in enumerate(words):
            bare = word[:-2] if word.endswith(("'s", "’s")) else word
            if bare in _PRONOUNS:
                if persons and _PRONOUNS[bare] not in persons:
                    problems.append(f"{word} after {'/'.join(sorted(persons))}")
                continue
            found = lexicon.gender.get(bare)
            if found and found[1]:
                persons.add(found[0])
                nxt = words[j + 1] if j + 1 < len(words) else ""
                after = lexicon.gender.get(nxt)
                title = bare in ("mr", "mrs", "ms", "miss", "sir", "lady", "lord")
                if title and after and after[1] and after[0] != found[0]:
                    problems.append(f"{word} {nxt}")
            aged = lexicon.age.get(bare)
            if aged and not aged[1]:
                for nxt in words[j + 1 : j + 3]:
                    other = lexicon.age.get(nxt)
                    if other and other[1] and other[0] != aged[0]:
                        problems.append(f"{word} {nxt}")
    return problems


# --- attackers -------------------------------------------------------------------------------


def _zipf() -> Callable[[str], float]:
    try:
        from wordfreq import zipf_frequency
    except ImportError as exc:  # pragma: no cover - the eval extra installs it
        raise InvalidInputError("obclip eval privacy needs the eval extra: pip install 'obclip[eval]'") from exc
    cache: dict[str, float] = {}

    def zipf(word: str) -> float:
        if word not in cache:
            cache[word] = zipf_frequency(word, "en")
        return cache[word]

    return zipf


def _pick_rate(scores: Sequence[float], true_index: int) -> float:
    """Chance that an attacker who takes a best-scoring candidate (uniform among ties) is right."""
    best = max(scores)
    winners = [i for i, s in enumerate(scores) if s == best]
    return 1.0 / len(winners) if true_index in winners else 0.0


def attacker_rates(cset: CandidateSet, lexicon: _Lexicon, zipf: Callable[[str], float]) -> dict[str, float]:
    """Success chance of each surface attacker on one set (1/N is what the cloud gets by luck)."""
    candidates = cset.candidates
    words = [[fold(w) for w in _WORDS.findall(c)] for c in candidates]
    counts = Counter(w for ws in words for w in set(ws))
    n = len(candidates)
    agreement = [-float(len(disagreements(c, lexicon))) for c in candidates]
    plausibility = [round(sum(zipf(w) for w in ws if counts[w] < n), 6) for ws in words]
    odd = [round(sum(-math.log(counts[w] / n) for w in set(ws)), 9) for ws in words]
    return {
        "agreement": _pick_rate(agreement, cset.true_index),
        "plausibility": _pick_rate(plausibility, cset.true_index),
        "odd_one_out": _pick_rate(odd, cset.true_index),
    }


# --- the evaluation --------------------------------------------------------------------------


@dataclass
class PromptResult:
    """What one corpus prompt gave."""

    line: int
    prompt: str
    n: int = 0
    refused: str | None = None
    crashed: str | None = None
    leaked: dict[str, list[str]] = field(default_factory=dict)
    disagreeing: list[str] = field(default_factory=list)
    closed: bool = True
    position: float | None = None
    attackers: dict[str, float] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)


def evaluate_prompt(
    item: CorpusPrompt,
    *,
    large: str,
    taxonomy: Taxonomy,
    lexicon: _Lexicon,
    zipf: Callable[[str], float],
    max_candidates: int | None,
    closure_members: int,
    seed: int | None,
) -> PromptResult:
    result = PromptResult(item.line, item.prompt)
    try:
        cset = cloud_view(item.prompt, large=large, taxonomy=taxonomy, max_candidates=max_candidates, seed=seed)
    except ObclipError as exc:
        result.refused = str(exc)
        return result
    except Exception as exc:  # a crash is what this counts
        result.crashed = f"{type(exc).__name__}: {exc}"
        return result
    result.n = len(cset)
    result.residual = [r.word for r in cset.residual]
    for category in CATEGORIES:
        labelled = Counter(fold(w) for w in item.words([category]))
        leaked = []
        for word, times in labelled.items():
            unlabelled = _count(word, item.prompt) - times
            if min(_count(word, c) for c in cset.candidates) > max(unlabelled, 0):
                leaked.append(word)
        if leaked:
            result.leaked[category] = leaked
    for candidate in cset.candidates:
        problems = disagreements(candidate, lexicon)
        if problems:
            result.disagreeing.extend(problems)
    if result.n > 1:
        result.position = (cset.true_index + 0.5) / result.n
        result.attackers = attacker_rates(cset, lexicon, zipf)
        closure_seed = seed if seed is not None else secrets.randbits(32)
        again_of = cloud_view(
            item.prompt, large=large, taxonomy=taxonomy, max_candidates=max_candidates, seed=closure_seed
        )
        step = max(1, result.n // max(1, closure_members))
        for member in again_of.candidates[::step][:closure_members]:
            again = cloud_view(member, large=large, taxonomy=taxonomy, max_candidates=max_candidates, seed=closure_seed)
            if again != again_of or again.candidates != again_of.candidates or again.true_prompt != member:
                result.closed = False
                break
    result.changed = changed_words(item, cset.true_prompt)
    return result


def changed_words(item: CorpusPrompt, sent: str) -> list[str]:
    """Words of the user's prompt that the true candidate changes although nobody labelled them
    sensitive (beyond the canonicalisation of sensitive words, articles and emoji)."""
    allowed = {t for _, phrase in item.labels for t in _WORDS.findall(fold(phrase))} | {"a", "an"}
    mine = [fold(t) for t in _TOKEN.findall(item.prompt)]
    theirs = [fold(t) for t in _TOKEN.findall(sent)]
    result = []
    matcher = difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op == "equal":
            continue
        for token in mine[i1:i2]:
            bare = token[:-2] if token.endswith(("'s", "’s")) else token
            if bare not in allowed and _WORDS.fullmatch(token):
                result.append(token)
    return result


def _chi2_sf_even(statistic: float, df: int) -> float:
    """P(X >= statistic) for a chi-square variable with an even number of degrees of freedom."""
    half = statistic / 2
    term, total = 1.0, 1.0
    for i in range(1, df // 2):
        term *= half / i
        total += term
    return min(1.0, math.exp(-half) * total)


def _mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, mean, mean
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


@dataclass
class Summary:
    """The figures of one corpus (rates are fractions)."""

    prompts: int
    with_sensitive: int
    without_person: int
    sent: int
    refused: int
    crashed: int
    mean_n: float
    leak_rate: float
    leak_by_category: dict[str, float]
    disagreeing_rate: float
    closure_failures: int
    position_chi2_p: float | None
    attackers: dict[str, dict[str, float]]
    best_attacker_margin: float
    false_positive_rate: float
    changed_rate: float
    residual_rate: float


def summarise(items: Sequence[CorpusPrompt], results: Sequence[PromptResult]) -> Summary:
    main = ("gender", "age", "ethnicity")
    sensitive = [(i, r) for i, r in zip(items, results, strict=True) if i.words(main)]
    sent = [r for r in results if r.refused is None and r.crashed is None]
    leak_any = [r for i, r in sensitive if any(c in r.leaked for c in main)]
    by_category = {}
    for category in CATEGORIES:
        having = [(i, r) for i, r in zip(items, results, strict=True) if i.words([category])]
        if having:
            by_category[category] = sum(1 for _, r in having if category in r.leaked) / len(having)
    varied = [r for r in sent if r.n > 1]
    positions = [r.position for r in varied if r.position is not None]
    p_value = None
    if len(positions) >= 2 * _UNIFORM_BINS:
        # randomised probability integral transform: (index + U) / N is uniform on [0, 1) when
        # the true index is uniform on 0..N-1, whatever N is
        jitter = random.Random(0)
        spread = [(r.position * r.n - 0.5 + jitter.random()) / r.n for r in varied if r.position is not None]
        bins = Counter(min(_UNIFORM_BINS - 1, int(p * _UNIFORM_BINS)) for p in spread)
        expected = len(positions) / _UNIFORM_BINS
        statistic = sum((bins.get(b, 0) - expected) ** 2 / expected for b in range(_UNIFORM_BINS))
        p_value = _chi2_sf_even(statistic, _UNIFORM_BINS - 1)
    attackers: dict[str, dict[str, float]] = {}
    chance = [1.0 / r.n for r in varied]
    for name in ("agreement", "plausibility", "odd_one_out"):
        rates = [r.attackers[name] for r in varied]
        margin, low, high = _mean_ci([a - c for a, c in zip(rates, chance, strict=True)])
        attackers[name] = {
            "success": statistics.fmean(rates) if rates else 0.0,
            "chance": statistics.fmean(chance) if chance else 0.0,
            "margin": margin,
            "margin_low": low,
            "margin_high": high,
        }
    no_person = [r for i, r in zip(items, results, strict=True) if not i.person]
    return Summary(
        prompts=len(items),
        with_sensitive=len(sensitive),
        without_person=len(no_person),
        sent=len(sent),
        refused=sum(1 for r in results if r.refused is not None),
        crashed=sum(1 for r in results if r.crashed is not None),
        mean_n=statistics.fmean(r.n for r in sent) if sent else 0.0,
        leak_rate=len(leak_any) / len(sensitive) if sensitive else 0.0,
        leak_by_category=by_category,
        disagreeing_rate=sum(1 for r in sent if r.disagreeing) / len(sent) if sent else 0.0,
        closure_failures=sum(1 for r in sent if not r.closed),
        position_chi2_p=p_value,
        attackers=attackers,
        best_attacker_margin=max((a["margin"] for a in attackers.values()), default=0.0),
        false_positive_rate=sum(1 for r in no_person if r.n > 1) / len(no_person) if no_person else 0.0,
        changed_rate=sum(1 for r in sent if r.changed) / len(sent) if sent else 0.0,
        residual_rate=sum(1 for r in sent if r.residual) / len(sent) if sent else 0.0,
    )


def evaluate_corpus(
    items: Sequence[CorpusPrompt],
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    closure_members: int = 4,
    seed: int | None = None,
    progress: Callable[[Iterable[CorpusPrompt]], Iterable[CorpusPrompt]] | None = None,
) -> tuple[Summary, list[PromptResult]]:
    """Evaluate every corpus prompt with the set `generate` would send for model `large`."""
    resolved = resolve_taxonomy(taxonomy, large)
    lexicon = _lexicon(default_taxonomy())
    zipf = _zipf()
    iterable = progress(items) if progress is not None else items
    results = [
        evaluate_prompt(
            item,
            large=large,
            taxonomy=resolved,
            lexicon=lexicon,
            zipf=zipf,
            max_candidates=max_candidates,
            closure_members=closure_members,
            seed=None if seed is None else seed + item.line,
        )
        for item in iterable
    ]
    return summarise(items, results), results


def format_table(summary: Summary, *, title: str = "") -> str:
    """The figures as a plain-text table, targets beside them."""
    s = summary
    rows: list[tuple[str, str, str]] = [
        (
            "prompts (with gender/age/ethnicity words, without a person)",
            f"{s.prompts} ({s.with_sensitive}, {s.without_person})",
            "",
        ),
        ("sent / refused before sending / tracebacks", f"{s.sent} / {s.refused} / {s.crashed}", "0 tracebacks"),
        ("mean N of the sets sent", f"{s.mean_n:.1f}", ""),
        ("prompts leaking a gender, age or ethnicity word", f"{100 * s.leak_rate:.1f} %", "<= 5 %"),
    ]
    for category, rate in s.leak_by_category.items():
        rows.append((f"  leaking a {category} word", f"{100 * rate:.1f} %", ""))
    rows += [
        ("prompts with disagreeing candidates", f"{100 * s.disagreeing_rate:.1f} %", "<= 1 %"),
        ("prompts without a person that get N > 1", f"{100 * s.false_positive_rate:.1f} %", "<= 5 %"),
        ("user prompts changed beyond canonicalisation", f"{100 * s.changed_rate:.1f} %", "<= 2 %"),
        ("closure failures (re-expansion differs)", f"{s.closure_failures}", "0"),
        (
            "true position uniform (chi-square p)",
            "n/a" if s.position_chi2_p is None else f"{s.position_chi2_p:.2f}",
            "not small",
        ),
    ]
    for name, a in s.attackers.items():
        rows.append(
            (
                f"attacker {name}: success vs 1/N",
                f"{100 * a['success']:.1f} % vs {100 * a['chance']:.1f} % "
                f"(+{100 * a['margin']:.1f}, 95 % CI {100 * a['margin_low']:.1f}..{100 * a['margin_high']:.1f})",
                "<= 1/N + 3",
            )
        )
    rows.append(("prompts sent with residual-risk words (told)", f"{100 * s.residual_rate:.1f} %", ""))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [title] if title else []
    lines += [f"{name:<{width}}  {value:>{value_width}}  {target}".rstrip() for name, value, target in rows]
    return "\n".join(lines)


def to_json(summary: Summary, results: Sequence[PromptResult]) -> dict[str, Any]:
    """The summary and the prompts that miss a target, as JSON-able data."""
    problems = [
        asdict(r) for r in results if r.leaked or r.disagreeing or r.changed or not r.closed or r.crashed or r.refused
    ]
    return {"summary": asdict(summary), "problems": problems}
