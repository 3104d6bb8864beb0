"""Privacy of the candidate sets over a labelled prompt corpus (`obclip eval privacy FILE.tsv`):
leaks, disagreeing candidates, changed user prompts, a context attacker against 1/N and the shown
anonymity, surface attackers, closure, a hostile-Unicode set and 100 kB prompts. Format and
figures: docs/privacy-evaluation.md.

The evaluator judges the privacy rules with its own word lists and its own association table
(`obclip.eval.privacy_words`); it reads a set only through the public `CandidateSet` API, as the
cloud would.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import itertools
import math
import random
import re
import secrets
import signal
import statistics
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from obclip.errors import InvalidInputError, ObclipError, read_user_text
from obclip.eval import privacy_words as pw
from obclip.privacy import CandidateSet, Taxonomy, correlate
from obclip.privacy.normalize import normalize_text
from obclip.view import DEFAULT_LARGE, check_read, cloud_view, resolve_taxonomy

CATEGORIES = ("gender", "age", "ethnicity", "religion")
"""The sensitive categories a corpus may label; the targets count the first three."""
MAIN = ("gender", "age", "ethnicity")
KINDS = ("sd", "tags", "weights", "multi", "hostile", "lang")
"""Styles a corpus line may declare in its optional fourth field (`lang` as ``lang:xx``)."""
_DIFF_LIMIT = 20_000
"""Longer prompts skip the word-by-word diff (quadratic); the other checks are linear."""
SLOW_S = 5.0
"""A prompt answered (sent or refused) later than this misses the latency target."""
_UNIFORM_BINS = 11


@dataclass(frozen=True)
class CorpusPrompt:
    """One corpus line: the prompt, its labelled sensitive words, whether it shows a person, and
    its styles (``tags``, ``weights``, ``multi``, ``hostile``, ``lang:fr``, ...)."""

    prompt: str
    labels: tuple[tuple[str, str], ...]
    person: bool
    line: int
    kinds: tuple[str, ...] = ()
    source: str = "corpus"

    def words(self, categories: Iterable[str] = CATEGORIES) -> list[str]:
        wanted = set(categories)
        return [word for category, word in self.labels if category in wanted]

    @property
    def language(self) -> str:
        """The prompt's language code (``en`` unless a ``lang:xx`` kind says otherwise)."""
        return next((k.partition(":")[2] for k in self.kinds if k.startswith("lang:")), "en")


def read_corpus(path: str | Path) -> list[CorpusPrompt]:
    """Read a corpus TSV: ``prompt<TAB>sensitive<TAB>person[<TAB>kind]`` (docs/privacy-evaluation.md).

    Raises:
        InvalidInputError: with the file and line of the first malformed row.
    """
    path = Path(path)
    text = read_user_text(path, "corpus")
    result: list[CorpusPrompt] = []
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
        if not row or row[0].startswith("#") or row[:3] == ["prompt", "sensitive", "person"]:
            continue
        if len(row) not in (3, 4):
            raise InvalidInputError(
                f"corpus {path}, line {number}: expected 3 or 4 tab-separated fields, got {len(row)}"
            )
        prompt, sensitive, person = row[:3]
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
        kinds = tuple(k.strip() for k in row[3].split(",") if k.strip() and k.strip() != "-") if len(row) == 4 else ()
        for kind in kinds:
            if kind.partition(":")[0] not in KINDS:
                raise InvalidInputError(
                    f"corpus {path}, line {number}: kind {kind!r} must be one of {', '.join(KINDS)} (lang as lang:xx)"
                )
        result.append(CorpusPrompt(prompt, tuple(labels), person == "yes", number, kinds, path.name))
    if not result:
        raise InvalidInputError(f"corpus {path} has no prompts")
    return result


# --- what the cloud is shown -----------------------------------------------------------------


def _shown_anonymity(cset: CandidateSet) -> int:
    """The anonymity the user is shown for `cset`: the product's own figure (`correlate.anonymity`)."""
    return correlate.anonymity(cset)


def _record_words(records: object) -> list[str]:
    """The words of a list of records: strings, dicts with a word, or objects with one."""
    if not isinstance(records, (list, tuple)):
        return []
    words = []
    for item in records:
        if isinstance(item, str):
            words.append(item)
        elif isinstance(item, dict):
            words.append(str(item.get("word") or item.get("cue") or item.get("phrase") or item.get("words") or ""))
        else:
            words.append(str(getattr(item, "word", None) or getattr(item, "cue", None) or item))
    return [w for w in words if w]


def _revealed(cset: CandidateSet) -> list[str]:
    """The words in clear the product tells the user reveal an attribute (`correlate.revealed`)."""
    return _record_words(correlate.revealed(cset))


def _residual_words(cset: CandidateSet) -> list[str]:
    return _record_words(cset.public_dict().get("residual", []))


def _told_words(cset: CandidateSet) -> list[str]:
    """What the user is told: the words the product says reveal an attribute, and the residual-risk words."""
    return _revealed(cset) + _residual_words(cset)


def _named(phrase: str, told: Sequence[str], notice: str) -> bool:
    read = pw.read_as_seen(phrase)
    for word in told:
        w = pw.read_as_seen(word)
        if w and (w in read or read in w):
            return True
    return bool(notice) and re.search(rf"(?<!\w){re.escape(read)}", pw.read_as_seen(notice)) is not None


# --- the context attacker --------------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    """The context attacker's view of one set: its scores, the best candidates, the cues it used."""

    scores: tuple[float, ...]
    winners: tuple[int, ...]
    used: tuple[pw.Cue, ...]

    def success(self, true_index: int) -> float:
        """Chance of picking `true_index` when ties among the best are broken at random."""
        return 1.0 / len(self.winners) if true_index in self.winners else 0.0


def _claims(candidates: Sequence[str]) -> list[dict[str, set[str]]]:
    """Per candidate: the attribute values its varied words state (words in every candidate excluded)."""
    per = []
    for text in candidates:
        claims: dict[str, set[str]] = {}
        for m in pw.mentions(text):
            claims.setdefault(m.category, set()).add(m.value)
        per.append(claims)
    for category in {c for claims in per for c in claims}:
        shared = set.intersection(*(claims.get(category, set()) for claims in per))
        for claims in per:
            if category in claims:
                claims[category] -= shared
    return per


def clear_text(candidates: Sequence[str]) -> str:
    """The words every candidate sends, in the first candidate's order ("|" where words vary)."""
    readings = [pw.words_of(c) for c in candidates]
    common = set.intersection(*(set(r) for r in readings)) if readings else set()
    return " ".join(w if w in common else "|" for w in readings[0]) if readings else ""


def context_attack(candidates: Sequence[str]) -> Attack:
    """Score every candidate by how well its attribute values fit the cues in clear.

    A cue (beard -> male, kimono -> East Asian, ...) adds its strength to a candidate that states
    a value it fits, subtracts it from one that states only other values of that category, and
    leaves a candidate that states none alone. Only what the cloud sees is read.
    """
    cues = pw.cues_in(clear_text(candidates))
    claims = _claims(candidates)
    scores = [0.0] * len(candidates)
    used = []
    for cue in cues:
        delta = []
        for claim in claims:
            values = claim.get(cue.category, set())
            delta.append(0.0 if not values else cue.strength if values & cue.values else -cue.strength)
        if len(set(delta)) > 1:
            used.append(cue)
            scores = [s + d for s, d in zip(scores, delta, strict=True)]
    rounded = tuple(round(s, 6) for s in scores)
    best = max(rounded) if rounded else 0.0
    return Attack(rounded, tuple(i for i, s in enumerate(rounded) if s == best), tuple(used))


# --- agreement -------------------------------------------------------------------------------

_TOKEN = re.compile(pw.WORD.pattern + r"|[,.;:!?()\[\]|]")
_SENTENCE_END = frozenset(".;!?|")
_DETERMINERS = frozenset(["the", "a", "an", "his", "her", "their", "my", "our", "your", "this", "that"])
_CHILD_AGES = frozenset(("baby", "child"))
_GRAND = frozenset(
    ["grandfather", "grandmother", "grandpa", "grandma", "granny", "gramps", "grandparent", "grandparents"]
)
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "once", "ewe", "ukr", "ura", "uro")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


def _tokens(text: str) -> list[str]:
    tokens = []
    for t in _TOKEN.findall(pw.read_as_seen(text)):
        tokens.append(t[:-2] if t.endswith(("'s", "’s")) else t)
    return tokens


def _article_ok(article: str, word: str) -> bool:
    if word[:1].isdigit():
        number = re.match(r"\d+", word)
        digits = number.group() if number else ""
        vowel = digits.startswith("8") or digits in ("11", "18")
    elif word.startswith(_VOWEL_SOUND):
        vowel = True
    elif word.startswith(_CONSONANT_SOUND):
        vowel = False
    else:
        vowel = word[:1] in "aeiou"
    return (article == "an") == vowel


def _gender(token: str) -> str | None:
    return pw.GENDER_NOUNS.get(token)


def disagreements(text: str) -> list[str]:
    """Statements of one candidate that contradict each other, as ``kind: words`` strings.

    Kinds: ``age`` (an age number or adjective against a child or adult noun: "a 75-year-old
    boy", "an elderly toddler"; an age adjective against the number after it: "a young man aged
    80"), ``apposition`` (a title or noun against the phrase after its comma:
    "Ms. Tanaka, an old man", "his son, the princess"), ``possessive`` ("a queen and his son"),
    ``pronoun`` (a pronoun against every person named before it), ``article`` ("an young").
    """
    problems: list[str] = []
    tokens = _tokens(text)
    words = [t for t in tokens if t[:1].isalnum()]
    for i, token in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if token in ("a", "an") and nxt[:1].isalnum() and not _article_ok(token, nxt):
            problems.append(f"article: {token} {nxt}")
    problems += _age_problems(text, words)
    problems += _apposition_problems(tokens)
    problems += _pronoun_problems(tokens)
    problems += _one_person_problems(text)
    return problems


_IN_HER = re.compile(r"\bin\s+(?:her|his|their|my|your)\s+(?:(?:early|mid|late)[\s-]+)?$")


def _age_problems(text: str, words: list[str]) -> list[str]:
    problems = []
    read = pw.read_as_seen(text)
    for m in pw._AGE_NUMBER.finditer(read):
        ages = pw.ages_in(m.group())
        if not ages:
            continue
        bucket = ages[0][1]
        after = pw.WORD.findall(read[m.end() : m.end() + 60])[:3]
        start = m.start()
        owned = _IN_HER.search(read, max(0, start - 30), start)
        if owned is not None:
            start = owned.start()  # "an old woman in her 20s": the words before "in her" are hers
        before = pw.WORD.findall(read[max(0, start - 40) : start])[-3:]
        said = next((a for a in map(pw.AGE_ADJECTIVES.get, reversed(before)) if a in ("old", "young")), None)
        if (said == "old" and bucket in ("baby", "child", "teen", "young")) or (said == "young" and bucket == "old"):
            problems.append(f"age: {said} {m.group()}")  # "a young man aged 80"
        nouns = [w for w in after if w in pw.CHILD_NOUNS or w in pw.ADULT_NOUNS]
        nouns += [w for w in reversed(before) if w in pw.CHILD_NOUNS or w in pw.ADULT_NOUNS]
        if not nouns:
            continue
        noun = nouns[0]
        noun_age = pw.AGE_NOUNS.get(noun)
        if noun in pw.CHILD_NOUNS and noun_age in ("baby", "child") and noun not in ("boy", "boys", "girl", "girls"):
            if bucket not in ("baby", "child", "teen") and not (noun_age == "child" and bucket == "teen"):
                problems.append(f"age: {m.group()} {noun}")
        elif (
            (noun in ("boy", "boys", "girl", "girls") and bucket in ("adult", "old"))
            or (noun in pw.ADULT_NOUNS and bucket in ("baby", "child"))
            or (noun in _GRAND and bucket in ("baby", "child", "teen"))
        ):
            problems.append(f"age: {m.group()} {noun}")
    for i, word in enumerate(words):
        adjective = pw.AGE_ADJECTIVES.get(word)
        if adjective not in ("old", "adult", "young", "teen"):
            continue
        for nxt in words[i + 1 : i + 3]:
            other = pw.AGE_ADJECTIVES.get(nxt)
            if other in ("old", "adult", "young", "teen") and other != adjective:
                problems.append(f"age: {word} {nxt}")
                break
            noun_age = pw.AGE_NOUNS.get(nxt)
            if noun_age is None and nxt not in pw.ADULT_NOUNS:
                continue
            if (adjective in ("old", "adult") and noun_age in _CHILD_AGES and nxt != "kid") or (
                adjective == "teen" and nxt in _GRAND
            ):
                problems.append(f"age: {word} {nxt}")
            break
    return problems


def _apposition_problems(tokens: list[str]) -> list[str]:
    problems = []
    for c, token in enumerate(tokens):
        if token != ",":
            continue
        left = tokens[max(0, c - 3) : c]
        right = tokens[c + 1 : c + 5]
        titled = next((t for t in left if t in pw.TITLES), None)
        if not right or not (titled or right[0] == "the"):
            continue
        left_gender = pw.TITLES[titled] if titled else next((_gender(t) for t in reversed(left) if _gender(t)), None)
        right_noun = None
        for t in right:
            if not t[:1].isalnum():
                break
            if _gender(t):
                right_noun = t
                break
        if left_gender and right_noun and _gender(right_noun) != left_gender:
            problems.append(f"apposition: {' '.join(left)}, {' '.join(right)}")
    return problems


def _pronoun_problems(tokens: list[str]) -> list[str]:
    problems = []
    seen: list[str] = []  # genders of the persons named so far
    sentence: list[str] = []
    for i, token in enumerate(tokens):
        if token in _SENTENCE_END:
            sentence = []
            continue
        gender = pw.PRONOUNS.get(token)
        if gender is not None:
            if i >= 2 and tokens[i - 1] in ("and", "with") and _gender(tokens[i - 2]):
                if _gender(tokens[i - 2]) != gender:
                    problems.append(f"possessive: {tokens[i - 2]} {tokens[i - 1]} {token}")
                continue
            persons = sentence or seen
            if persons and gender not in persons:
                problems.append(f"pronoun: {token} after {'/'.join(sorted(set(persons)))}")
            continue
        gender = _gender(token) or (
            pw.TITLES.get(token) if i + 1 < len(tokens) and tokens[i + 1][:1].isalpha() else None
        )
        if gender:
            sentence.append(gender)
            seen.append(gender)
    return problems


_SOLO = re.compile(r"(?:^|,)[ \t]*solo[ \t]*(?:,|$)", re.IGNORECASE)


_SEX_TAGS = frozenset({"male", "female"})


def _persons(text: str) -> tuple[str | None, frozenset[str], tuple[str, ...]]:
    """(``couple`` when two or more persons are named one by one or counted, ``group`` for a bare
    plural, else None; the genders stated; the gender statements in order)."""
    singles = 0
    plural = False
    genders = []
    counts = []
    found = [m for m in pw.mentions(text) if m.category == "gender"]
    tagged = any(m.kind in ("noun", "title") and m.word[:1].isdigit() for m in found)
    renamed = _appositions(text, found) | _referred_back(text, found)
    for m in found:
        genders.append(m.value)
        if m.index in renamed:
            continue  # "aunty Pat, a sixtyish gal", "an old man ... The man": one person, named again
        if m.kind in ("noun", "title"):
            if m.word[:1].isdigit():
                counts.append(m.word)
                singles += 1 if m.word.startswith("1") else 2
            elif m.word.endswith(("men", "s", "ren")) and m.word not in ("miss", "mrs", "ms", "boss"):
                plural = True
            elif not (tagged and m.word in _SEX_TAGS):
                singles += 1  # beside a count tag, "muscular male" is a tag of the counted person
    counted = any(n >= 2 for n in pw.numbers_in(text))
    if _one_person(text, counts, plural, singles, genders):
        return None, frozenset(genders), tuple(genders)
    if singles >= 2 or (plural and counted) or len(set(genders)) == 2:
        return "couple", frozenset(genders), tuple(genders)
    return ("group" if plural else None), frozenset(genders), tuple(genders)


_APPOSITION_GAP = re.compile(r"\.?\s+[^\W_]+\s*,\s*(?:an?|the)\s+(?:[^\W_][\w'’-]*\s+){0,3}")


def _appositions(text: str, found: Sequence[pw.Mention]) -> set[int]:
    """Word indexes of gender nouns that rename the person of the word before them: a kin word or
    title, one name, a comma and a noun phrase ("aunty Pat, a sixtyish gal", "sister Agnes, an
    Irish nun", "Mr. Tanaka, a retired salaryman"). A list of persons has no name between
    ("a woman, a man and a child")."""
    seen = pw.read_as_seen(text)
    spans = [(m.start(), m.end()) for m in pw.WORD.finditer(seen)]
    renamed: set[int] = set()
    for before, m in itertools.pairwise(found):
        if m.kind != "noun" or before.kind not in ("noun", "title") or m.word.endswith("s"):
            continue
        if not (before.index < m.index < len(spans)):
            continue
        if _APPOSITION_GAP.fullmatch(seen, spans[before.index][1], spans[m.index][0]):
            renamed.add(m.index)
    return renamed


def _referred_back(text: str, found: Sequence[pw.Mention]) -> set[int]:
    """Word indexes of singular gender nouns after "the" that a noun of the same gender was said
    before ("an old Cuban man ... The man is maybe sixty-five", "an elderly grandmother ... The
    old woman looks up"): the person named before, not a second one."""
    words = pw.words_of(text)
    again: set[int] = set()
    for i, m in enumerate(found):
        if m.kind != "noun" or m.word.endswith("s") or m.word[:1].isdigit():
            continue
        start = m.index - 1
        while start >= 0 and words[start] in pw.AGE_ADJECTIVES:
            start -= 1  # "the old woman"
        if start < 0 or words[start] != "the":
            continue
        if any(e.kind == "noun" and e.value == m.value and not e.word.endswith("s") for e in found[:i]):
            again.add(m.index)
    return again


def _one_person(text: str, counts: list[str], plural: bool, singles: int, genders: Sequence[str]) -> bool:
    """A tag list of one person: "mature_female, solo"; "female knight, 1girl" (a booru count tag
    counts everyone in the picture, so one "1girl", no other count or plural and one other person
    noun at most are one person, and so are any number of nouns of the count's gender: "1girl, old
    woman, grandmother")."""
    if _SOLO.search(pw.read_as_seen(text)):
        return True
    if len(counts) != 1 or not counts[0].startswith("1") or plural:
        return False
    return singles <= 2 or len(set(genders)) == 1


_WEIGHT = re.compile(r"[()\[\]{}]|:\s*[\d.]+")


def _one_person_problems(text: str) -> list[str]:
    """``gender: female and male`` when a tag list of one person has tags that end in both
    ("1boy, solo, woman"; not "1boy, witch hat": a tag that ends in a thing is the thing)."""
    kind, _, _ = _persons(text)
    if kind is not None:
        return []
    seen = pw.read_as_seen(text)
    genders = set()
    counted = False
    for tag in seen.split(","):
        words = pw.words_of(_WEIGHT.sub(" ", tag))
        found = [m for m in pw.mentions(" ".join(words)) if m.category == "gender"]
        counted = counted or any(m.word[:1].isdigit() for m in found)
        genders.update(m.value for m in found if m.index == len(words) - 1)
    if len(genders) == 2 and (counted or _SOLO.search(seen)):
        return ["gender: one person tagged female and male"]
    return []


def _person_count(text: str) -> int:
    """Persons named one by one, plus what a booru count says (1girl, 3boys)."""
    count = 0
    for m in pw.mentions(text):
        if m.category == "gender" and m.kind in ("noun", "title"):
            count += int(m.word[0]) if m.word[:1].isdigit() else 1
    return count


def fixed_mix(candidates: Sequence[str]) -> str | None:
    """``couple: same`` (or ``mixed``, or ``group: ...``) when a set names two or more persons,
    varies their gender, and yet every candidate has the same gender mix: the cloud learns the
    couple's or group's make-up (for a couple, the orientation)."""
    if len(candidates) < 2:
        return None
    readings = [_persons(c) for c in candidates]
    if any(kind is None or not genders for kind, genders, _ in readings):
        return None
    if len({seq for _, _, seq in readings}) == 1:
        return None
    mixes = {"mixed" if len(g) == 2 else "same" for _, g, _ in readings}
    kind = "couple" if any(k == "couple" for k, _, _ in readings) else "group"
    return f"{kind}: always {mixes.pop()}" if len(mixes) == 1 else None


def disagreeing(candidates: Sequence[str], prompt: str) -> list[str]:
    """Problems of the set: each candidate's disagreements beyond those of the user's own prompt
    (a prompt that is odd on purpose stays odd in every candidate), and a fixed gender mix."""
    own = Counter(p.partition(":")[0] for p in disagreements(prompt))
    found: list[str] = []
    for text in candidates:
        problems = disagreements(text)
        kinds = Counter(p.partition(":")[0] for p in problems)
        if any(kinds[k] > own[k] for k in kinds):
            found.extend(p for p in problems if kinds[p.partition(":")[0]] > own[p.partition(":")[0]])
    mix = fixed_mix(candidates)
    if mix is not None:
        found.append(f"gender mix of a {mix}")
    return sorted(set(found))


# --- surface attackers -----------------------------------------------------------------------


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


def attacker_rates(cset: CandidateSet, zipf: Callable[[str], float]) -> dict[str, float]:
    """Success chance of each surface attacker on one set (1/N is what the cloud gets by luck)."""
    candidates = cset.candidates
    words = [pw.words_of(c) for c in candidates]
    counts = Counter(w for ws in words for w in set(ws))
    n = len(candidates)
    agreement = [-float(len(disagreements(c))) for c in candidates]
    plausibility = [round(sum(zipf(w) for w in ws if counts[w] < n), 6) for ws in words]
    odd = [round(sum(-math.log(counts[w] / n) for w in set(ws)), 9) for ws in words]
    return {
        "agreement": _pick_rate(agreement, cset.true_index),
        "plausibility": _pick_rate(plausibility, cset.true_index),
        "odd_one_out": _pick_rate(odd, cset.true_index),
    }


# --- hostile Unicode and long prompts ---------------------------------------------------------

HOSTILE_KINDS = ("zero-width", "homoglyph", "full-width", "decomposed", "bidi")
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_BIDI = ("\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069")


def _full_width(char: str) -> str:
    if not (char.isascii() and char.isalpha()):
        return char
    case = "CAPITAL" if char.isupper() else "SMALL"
    return unicodedata.lookup(f"FULLWIDTH LATIN {case} LETTER {char.upper()}")


def _disguise(word: str, kind: str, rng: random.Random) -> str | None:
    """`word` as a hostile user would hide it, or None when this kind cannot touch it."""
    if kind == "zero-width" and len(word) > 1:
        at = rng.randrange(1, len(word))
        return word[:at] + rng.choice(_INVISIBLE) + word[at:]
    if kind == "homoglyph":
        spots = [i for i, c in enumerate(word) if pw.homoglyphs(c)]
        if not spots:
            return None
        chars = list(word)
        for i in rng.sample(spots, min(len(spots), rng.choice((1, 2)))):
            chars[i] = rng.choice(pw.homoglyphs(chars[i]))
        return "".join(chars)
    if kind == "full-width":
        return "".join(_full_width(c) for c in word)
    if kind == "decomposed":
        decomposed = unicodedata.normalize("NFD", word)
        if decomposed != word:
            return decomposed
        vowels = [i for i, c in enumerate(word) if c.lower() in "aeiou"]
        if not vowels:
            return None
        at = rng.choice(vowels) + 1  # a combining accent after a vowel: "wo\u0301man" reads "woman"
        return word[:at] + rng.choice(("\u0301", "\u0300", "\u0308", "\u0302")) + word[at:]
    if kind == "bidi" and len(word) > 1:
        if rng.random() < 0.5:
            at = rng.randrange(1, len(word))
            return word[:at] + rng.choice(_BIDI) + word[at:]
        opener = rng.choice(("\u2066", "\u2067", "\u2068", "\u202a", "\u202b"))
        return opener + word + ("\u2069" if opener >= "\u2066" else "\u202c")
    return None


def hostile_set(items: Sequence[CorpusPrompt], *, per_kind: int = 50, seed: int = 0) -> list[CorpusPrompt]:
    """Prompts of `items` with one labelled gender, age or ethnicity word disguised: zero-width
    characters inside it, Cyrillic or Greek look-alikes (Unicode's confusables, from the
    `confusable-homoglyphs` package), full-width letters, decomposed accents (or a combining
    accent on a vowel), bidi controls. The labels stay the plain words: sending the disguised
    word is sending the word. Pass the prompts whose plain form is hidden, so that what the
    hostile set finds is due to the characters alone."""
    rng = random.Random(f"obclip-hostile-{seed}")
    pool = [i for i in items if i.person and i.words(MAIN) and "hostile" not in i.kinds and len(i.prompt) < 2000]
    result: list[CorpusPrompt] = []
    for kind in HOSTILE_KINDS:
        order = list(pool)
        rng.shuffle(order)
        made = 0
        for item in order:
            if made >= per_kind:
                break
            targets = [w for w in item.words(MAIN) if re.search(re.escape(w), item.prompt, re.IGNORECASE)]
            if not targets:
                continue
            word = rng.choice(targets)
            match = re.search(re.escape(word), item.prompt, re.IGNORECASE)
            assert match is not None
            disguised = _disguise(match.group(), kind, rng)
            if disguised is None:
                continue
            prompt = item.prompt[: match.start()] + disguised + item.prompt[match.end() :]
            result.append(
                CorpusPrompt(prompt, item.labels, True, item.line, (*item.kinds, f"hostile:{kind}"), "hostile")
            )
            made += 1
    return result


def stress_set(items: Sequence[CorpusPrompt], *, size: int = 100_000) -> list[CorpusPrompt]:
    """Prompts of about `size` characters: a portrait repeated, a tag list of many persons, one
    gendered word repeated, and one unbroken token."""
    person = next((i.prompt for i in items if i.person and i.words(MAIN)), "portrait of an old woman")
    tags = ", ".join(f"{n}girls, {n}boys, old man, mature female" for n in range(1, 10))
    texts = {
        "repeat": (person + ". ") * (size // (len(person) + 2) + 1),
        "tags": (tags + ", ") * (size // (len(tags) + 2) + 1),
        "one-word": "woman " * (size // 6 + 1),
        "no-space": "x" * size,
    }
    return [
        CorpusPrompt(text[:size], (), True, i, (f"stress:{name}",), "stress")
        for i, (name, text) in enumerate(texts.items(), start=1)
    ]


class _Deadline(Exception):
    """A prompt ran past the evaluator's guard."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread on POSIX only; elsewhere no guard)."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the evaluation --------------------------------------------------------------------------


@dataclass
class PromptResult:
    """What one prompt gave."""

    line: int
    prompt: str
    source: str = "corpus"
    kinds: list[str] = field(default_factory=list)
    person: bool = True
    n: int = 0
    anonymity: int = 0
    seconds: float = 0.0
    refused: str | None = None
    crashed: str | None = None
    leaked: dict[str, list[str]] = field(default_factory=dict)
    disagreeing: list[str] = field(default_factory=list)
    closed: bool = True
    position: float | None = None
    attackers: dict[str, float] = field(default_factory=dict)
    cues: list[str] = field(default_factory=list)
    context_success: float | None = None
    context_hit: bool | None = None
    context_certain: bool = False
    cues_unnamed: list[str] = field(default_factory=list)
    weak_cues_unnamed: list[str] = field(default_factory=list)
    strong_cues: int = 0
    changed: list[str] = field(default_factory=list)
    changed_kinds: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)
    notice: str | None = None
    leak_told: str | None = None
    """For a leak: ``"cue"`` when the notice says a cue fixed every leaked category, ``"language"``
    when it says only English is read; None when the user is not told (a detection miss)."""


@dataclass(frozen=True)
class _Options:
    large: str
    taxonomy: Taxonomy
    max_candidates: int | None
    closure_members: int
    timeout_s: float
    zipf: Callable[[str], float]
    policy: str | None = None
    send_unread: bool = False


def _view(prompt: str, options: _Options, seed: int | None) -> CandidateSet:
    cset = cloud_view(
        prompt,
        large=options.large,
        taxonomy=options.taxonomy,
        max_candidates=options.max_candidates,
        seed=seed,
        policy=options.policy,
    )
    # what `generate` sends by default: nothing for a prompt not in English (refused, so counted as
    # refused and told), unless the user opts in to send it as written
    check_read(prompt, send_unread=options.send_unread)
    return cset


_FIXED_BY_CUE = re.compile(r"\breveals (.+?), so .+? (?:is|are) not varied")


def told_leak(leaked: dict[str, list[str]], notice: str | None) -> str | None:
    """Whether the user was told of the leaked gender/age/ethnicity words, read off the notice as
    the user reads it: ``"language"`` when it says only English is read (sent as written),
    ``"cue"`` when for every leaked category it says a named word reveals it "so ... is not
    varied"; None for a silent leak (or none)."""
    categories = [c for c in MAIN if c in leaked]
    if not categories:
        return None
    text = notice or ""
    if "only english is read" in text.casefold():
        return "language"
    fixed: set[str] = set()
    for clause in text.split(";"):
        for match in _FIXED_BY_CUE.finditer(clause):
            fixed |= {name.strip() for name in re.split(r",|\band\b", match.group(1))}
    return "cue" if all(c in fixed for c in categories) else None


def evaluate_prompt(item: CorpusPrompt, options: _Options, seed: int | None, rng: random.Random) -> PromptResult:
    """Build the set for one prompt and run every check on it."""
    result = PromptResult(item.line, item.prompt, item.source, list(item.kinds), item.person)
    start = time.perf_counter()
    try:
        with _deadline(options.timeout_s):
            cset = _view(item.prompt, options, seed)
    except _Deadline:
        result.seconds = time.perf_counter() - start
        result.crashed = f"no answer within {options.timeout_s:g} s"
        return result
    except ObclipError as exc:
        result.seconds = time.perf_counter() - start
        result.refused = str(exc)
        return result
    except Exception as exc:  # a crash is what this counts
        result.seconds = time.perf_counter() - start
        result.crashed = f"{type(exc).__name__}: {exc}"
        return result
    result.seconds = time.perf_counter() - start
    result.n = len(cset)
    result.anonymity = _shown_anonymity(cset)
    result.notice = cset.notice
    result.residual = _residual_words(cset)
    if item.source == "stress":
        return result
    result.leaked = leaks(item, cset.candidates)
    result.leak_told = told_leak(result.leaked, cset.notice)
    result.disagreeing = disagreeing(cset.candidates, item.prompt)
    if result.n > 1:
        result.position = (cset.true_index + 0.5) / result.n
        result.attackers = attacker_rates(cset, options.zipf)
        attack = context_attack(cset.candidates)
        if attack.used:
            result.cues = sorted({c.phrase for c in attack.used})
            result.context_success = attack.success(cset.true_index)
            result.context_hit = rng.choice(attack.winners) == cset.true_index
            result.context_certain = attack.winners == (cset.true_index,)
            told = _told_words(cset)
            strong = sorted({c.phrase for c in attack.used if c.strength >= pw.STRONG})
            result.strong_cues = len(strong)
            result.cues_unnamed = [p for p in strong if not _named(p, told, cset.notice or "")]
            weak = sorted({c.phrase for c in attack.used} - set(strong))
            result.weak_cues_unnamed = [p for p in weak if not _named(p, told, cset.notice or "")]
        try:
            with _deadline(options.timeout_s * 5):
                result.closed = _closed(item.prompt, options, seed, result.n)
        except (ObclipError, _Deadline):  # a member that is refused or hangs is not closure
            result.closed = False
    if len(item.prompt) <= _DIFF_LIMIT:
        result.changed = changed_words(item, cset.true_prompt)
    result.changed_kinds = changed_kinds(item, cset.true_prompt)
    return result


def _closed(prompt: str, options: _Options, seed: int | None, n: int) -> bool:
    closure_seed = seed if seed is not None else secrets.randbits(32)
    again_of = _view(prompt, options, closure_seed)
    step = max(1, n // max(1, options.closure_members))
    for member in again_of.candidates[::step][: options.closure_members]:
        again = _view(member, options, closure_seed)
        if again != again_of or again.candidates != again_of.candidates or again.true_prompt != member:
            return False
    return True


def _count(word: str, text: str) -> int:
    parts = pw.read_as_seen(word).split()
    if not parts:
        return 0
    pattern = r"(?<![^\W_])" + r"[\s_-]+".join(re.escape(p) for p in parts) + r"(?![^\W_])"
    return len(re.findall(pattern, pw.read_as_seen(text)))


def leaks(item: CorpusPrompt, candidates: Sequence[str]) -> dict[str, list[str]]:
    """Labelled words that every candidate sends (read as a person reads them), per category."""
    result: dict[str, list[str]] = {}
    for category in CATEGORIES:
        labelled = Counter(pw.read_as_seen(w) for w in item.words([category]))
        leaked = []
        for word, times in labelled.items():
            unlabelled = _count(word, item.prompt) - times
            if min(_count(word, c) for c in candidates) > max(unlabelled, 0):
                leaked.append(word)
        if leaked:
            result[category] = leaked
    return result


def changed_words(item: CorpusPrompt, sent: str) -> list[str]:
    """Words of the user's prompt that the true candidate changes although nobody labelled them
    sensitive (beyond articles and the reading of hostile characters)."""
    allowed = {t for _, phrase in item.labels for t in pw.words_of(phrase)} | {"a", "an"}
    mine = pw.words_of(item.prompt)
    theirs = pw.words_of(sent)
    result = []
    matcher = difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op != "equal":
            result += [token for token in mine[i1:i2] if token not in allowed]
    return result


def _age_buckets(text: str) -> list[str]:
    """The age buckets a text states with a number or an aged noun (each once: "a 6-month-old infant"
    states one, as "a 6-month-old" does)."""
    return sorted({m.value for m in pw.mentions(text) if m.category == "age" and m.kind in ("number", "noun")})


def _names(item: CorpusPrompt) -> list[str]:
    """Labelled gender words that are names: capitalised, and not a noun, title ("Mrs.", its period
    read off) or demonym ("Filipina") of the word lists."""
    names = []
    for word in item.words(["gender"]):
        read = pw.read_as_seen(word).rstrip(".")
        known = read in pw.GENDER_NOUNS or read in pw.TITLES or read in pw.ETHNIC_WORDS
        if word[:1].isupper() and not known and " " not in read:
            names.append(read)
    return names


def changed_kinds(item: CorpusPrompt, sent: str) -> list[str]:
    """How the user's own candidate changes the user's prompt: ``age category`` (a stated age or
    aged noun in another bucket), ``number`` (a count or number), ``persons``, ``name``."""
    kinds = []
    prompt = normalize_text(item.prompt)  # the normalised text is what the user is shown as theirs
    if _age_buckets(prompt) != _age_buckets(sent):
        kinds.append("age category")
    if pw.numbers_in(prompt) != pw.numbers_in(sent):
        kinds.append("number")
    if _person_count(prompt) != _person_count(sent):
        kinds.append("persons")
    if any(_count(name, sent) < _count(name, prompt) for name in _names(item)):
        kinds.append("name")
    return kinds


# --- figures ---------------------------------------------------------------------------------


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


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class Summary:
    """The figures of one run (rates are fractions)."""

    prompts: int
    with_sensitive: int
    without_person: int
    sent: int
    refused: int
    crashed: int
    mean_n: float
    mean_anonymity: float
    leak_rate: float
    leak_told: dict[str, float]
    """Shares of the prompts counted in `leak_rate` by what the notice said: ``cue`` (a named cue
    fixed the attribute), ``language`` (only English is read) and ``silent`` (nothing)."""
    leak_by_category: dict[str, float]
    religion_told: float
    """Of the prompts sending a religion word in clear (religion is opt-in), the share whose notice
    names every such word."""
    leak_by_kind: dict[str, float]
    disagreeing_rate: float
    group_mix_rate: float
    disagreeing_by_kind: dict[str, int]
    closure_failures: int
    position_chi2_p: float | None
    attackers: dict[str, dict[str, float]]
    best_attacker_margin: float
    context: dict[str, float]
    false_positive_rate: float
    changed_rate: float
    changed_by_kind: dict[str, int]
    residual_rate: float
    languages: dict[str, float]
    hostile: dict[str, Any]
    stress: dict[str, Any]
    slowest_s: float


def _context_figures(results: Sequence[PromptResult]) -> dict[str, float]:
    cued = [r for r in results if r.context_success is not None]
    strong = [r for r in cued if r.strong_cues]
    success = [r.context_success or 0.0 for r in cued]
    chance = [1.0 / r.n for r in cued]
    shown = [1.0 / max(1, r.anonymity) for r in cued]
    margin, low, high = _mean_ci([s - a for s, a in zip(success, shown, strict=True)])
    return {
        "prompts_with_cue": len(cued),
        "success": statistics.fmean(success) if success else 0.0,
        "sampled_success": statistics.fmean(1.0 if r.context_hit else 0.0 for r in cued) if cued else 0.0,
        "chance_1_over_n": statistics.fmean(chance) if chance else 0.0,
        "shown_1_over_anonymity": statistics.fmean(shown) if shown else 0.0,
        "margin_over_shown": margin,
        "margin_low": low,
        "margin_high": high,
        "certain": sum(1 for r in cued if r.context_certain),
        "prompts_with_strong_cue": len(strong),
        "named_every_strong_cue": _share(sum(1 for r in strong if not r.cues_unnamed), len(strong)),
        "named_every_cue": _share(sum(1 for r in cued if not r.cues_unnamed and not r.weak_cues_unnamed), len(cued)),
    }


_GROUP = "gender mix of a group"


def _disagrees(result: PromptResult) -> bool:
    """A candidate contradicts itself, or a couple's gender mix is fixed (a bare plural's fixed mix
    is counted on its own line: "monks chanting" rendered "monks and nuns" is a policy choice)."""
    return any(not p.startswith(_GROUP) for p in result.disagreeing)


def _names_all(words: Sequence[str], result: PromptResult) -> bool:
    """Whether the notice or the residual-risk list of `result` names every one of `words`, read
    as the user reads them (`privacy_words.read_as_seen`)."""
    told = pw.read_as_seen(" ".join([result.notice or "", *result.residual]))
    return all(pw.read_as_seen(w) in told for w in words)


def summarise(items: Sequence[CorpusPrompt], results: Sequence[PromptResult]) -> Summary:
    """The figures of the corpus prompts (`items` and their `results`, in the same order); the
    hostile and stress results, if any, only fill their own figures."""
    pairs = [(i, r) for i, r in zip(items, results, strict=True) if i.source not in ("hostile", "stress")]
    hostile_pairs = [(i, r) for i, r in zip(items, results, strict=True) if i.source == "hostile"]
    stress = [r for i, r in zip(items, results, strict=True) if i.source == "stress"]
    sensitive = [(i, r) for i, r in pairs if i.words(MAIN) and i.person]
    sent = [r for _, r in pairs if r.refused is None and r.crashed is None]
    leak_any = [r for _, r in sensitive if any(c in r.leaked for c in MAIN)]
    by_category = {}
    for category in CATEGORIES:
        having = [r for i, r in pairs if i.words([category])]
        if having:
            by_category[category] = _share(sum(1 for r in having if category in r.leaked), len(having))
    religious = [r for _, r in pairs if r.leaked.get("religion")]
    religion_told = _share(sum(1 for r in religious if _names_all(r.leaked["religion"], r)), len(religious))
    by_kind = {}
    for kind in sorted({k.partition(":")[0] for i, _ in sensitive for k in i.kinds} | {"plain"}):
        having = [
            r
            for i, r in sensitive
            if (kind in {k.partition(":")[0] for k in i.kinds}) or (kind == "plain" and not i.kinds)
        ]
        if having:
            by_kind[kind] = _share(sum(1 for r in having if any(c in r.leaked for c in MAIN)), len(having))
    varied = [r for r in sent if r.n > 1]
    p_value = None
    if len(varied) >= 2 * _UNIFORM_BINS:
        # randomised probability integral transform: (index + U) / N is uniform on [0, 1) when
        # the true index is uniform on 0..N-1, whatever N is
        jitter = random.Random(0)
        spread = [(r.position * r.n - 0.5 + jitter.random()) / r.n for r in varied if r.position is not None]
        bins = Counter(min(_UNIFORM_BINS - 1, int(p * _UNIFORM_BINS)) for p in spread)
        expected = len(spread) / _UNIFORM_BINS
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
    no_person = [r for i, r in pairs if not i.person]
    problem_kinds = Counter(k for r in sent for k in {p.partition(":")[0] for p in r.disagreeing})
    languages: dict[str, float] = {}
    foreign = [(i, r) for i, r in pairs if i.language != "en"]
    if foreign:
        told = [r for _, r in foreign if r.refused or "english" in (r.notice or "").casefold()]
        languages = {
            "prompts": len(foreign),
            "refused": _share(sum(1 for _, r in foreign if r.refused is not None), len(foreign)),
            "n_is_1": _share(sum(1 for _, r in foreign if r.n == 1), len(foreign)),
            "told_only_english": _share(len(told), len(foreign)),
            "leak_rate": _share(
                sum(1 for i, r in foreign if i.words(MAIN) and any(c in r.leaked for c in MAIN)),
                sum(1 for i, _ in foreign if i.words(MAIN)),
            ),
        }
    hostile: dict[str, Any] = {}
    if hostile_pairs:
        hostile = {"prompts": len(hostile_pairs), "sent_in_clear": 0, "refused": 0, "crashed": 0, "by_kind": {}}
        for i, r in hostile_pairs:
            kind = next(k.partition(":")[2] for k in i.kinds if k.startswith("hostile:"))
            row = hostile["by_kind"].setdefault(kind, {"prompts": 0, "sent_in_clear": 0, "refused": 0})
            row["prompts"] += 1
            clear = any(c in r.leaked for c in MAIN)
            row["sent_in_clear"] += clear
            row["refused"] += r.refused is not None
            hostile["sent_in_clear"] += clear
            hostile["refused"] += r.refused is not None
            hostile["crashed"] += r.crashed is not None
    stress_figures: dict[str, Any] = {}
    if stress:
        stress_figures = {
            "prompts": len(stress),
            "characters": max(len(r.prompt) for r in stress),
            "max_seconds": max(r.seconds for r in stress),
            "over_limit": sum(1 for r in stress if r.seconds > SLOW_S),
            "refused": sum(1 for r in stress if r.refused is not None),
            "crashed": sum(1 for r in stress if r.crashed is not None),
        }
    return Summary(
        prompts=len(pairs),
        with_sensitive=len(sensitive),
        without_person=len(no_person),
        sent=len(sent),
        refused=sum(1 for _, r in pairs if r.refused is not None),
        crashed=sum(1 for _, r in pairs if r.crashed is not None),
        mean_n=statistics.fmean(r.n for r in sent) if sent else 0.0,
        mean_anonymity=statistics.fmean(r.anonymity for r in sent) if sent else 0.0,
        leak_rate=_share(len(leak_any), len(sensitive)),
        leak_told={
            told or "silent": _share(sum(1 for r in leak_any if r.leak_told == told), len(sensitive))
            for told in ("cue", "language", None)
        },
        leak_by_category=by_category,
        religion_told=religion_told,
        leak_by_kind=by_kind,
        disagreeing_rate=_share(sum(1 for r in sent if _disagrees(r)), len(sent)),
        group_mix_rate=_share(sum(1 for r in sent if any(p.startswith(_GROUP) for p in r.disagreeing)), len(sent)),
        disagreeing_by_kind=dict(sorted(problem_kinds.items())),
        closure_failures=sum(1 for r in sent if not r.closed),
        position_chi2_p=p_value,
        attackers=attackers,
        best_attacker_margin=max((a["margin"] for a in attackers.values()), default=0.0),
        context=_context_figures(sent),
        false_positive_rate=_share(sum(1 for r in no_person if r.n > 1), len(no_person)),
        changed_rate=_share(sum(1 for r in sent if r.changed_kinds), len(sent)),
        changed_by_kind=dict(sorted(Counter(k for r in sent for k in r.changed_kinds).items())),
        residual_rate=_share(sum(1 for r in sent if r.residual), len(sent)),
        languages=languages,
        hostile=hostile,
        stress=stress_figures,
        slowest_s=max((r.seconds for _, r in pairs), default=0.0),
    )


def evaluate_corpus(
    items: Sequence[CorpusPrompt],
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    closure_members: int = 4,
    seed: int | None = None,
    hostile: bool = False,
    stress: bool = False,
    timeout_s: float = 6.0,
    progress: Callable[[Iterable[CorpusPrompt]], Iterable[CorpusPrompt]] | None = None,
    policy: str | None = None,
    send_unread: bool = False,
) -> tuple[Summary, list[PromptResult]]:
    """Evaluate every corpus prompt with the set `generate` would send for model `large` under the
    anonymity `policy` (None: the product's default): a prompt not in English is refused (sends
    nothing) unless `send_unread`, as `generate`'s; with `hostile`, also the hostile-Unicode
    prompts made from the corpus; with `stress`, four 100 kB prompts. A prompt still running
    after `timeout_s` is stopped and counted as a failure."""
    options = _Options(
        large=large,
        taxonomy=resolve_taxonomy(taxonomy, large),
        max_candidates=max_candidates,
        closure_members=closure_members,
        timeout_s=timeout_s,
        zipf=_zipf(),
        policy=policy,
        send_unread=send_unread,
    )
    everything = list(items)
    rng = random.Random(seed)

    def run(batch: Sequence[CorpusPrompt]) -> list[PromptResult]:
        iterable = progress(batch) if progress is not None else batch
        return [evaluate_prompt(item, options, None if seed is None else seed + item.line, rng) for item in iterable]

    results = run(everything)
    if hostile:
        hidden = [
            i
            for i, r in zip(everything, results, strict=True)
            if r.n > 1 and r.refused is None and r.crashed is None and not any(c in r.leaked for c in MAIN)
        ]
        extra = hostile_set(hidden, seed=seed or 0)
        everything += extra
        results += run(extra)
    if stress:
        extra = stress_set(items)
        everything += extra
        results += run(extra)
    return summarise(everything, results), results


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def format_table(summary: Summary, *, title: str = "") -> str:
    """The figures as a plain-text table, targets beside them."""
    s = summary
    rows: list[tuple[str, str, str]] = [
        (
            "prompts (naming a person with gender/age/ethnicity words, without a person)",
            f"{s.prompts} ({s.with_sensitive}, {s.without_person})",
            "",
        ),
        ("sent / refused before sending / tracebacks", f"{s.sent} / {s.refused} / {s.crashed}", "0 tracebacks"),
        ("mean N / mean shown anonymity of the sets sent", f"{s.mean_n:.1f} / {s.mean_anonymity:.1f}", ""),
        ("slowest corpus prompt", f"{s.slowest_s:.2f} s", f"<= {SLOW_S:g} s"),
        ("prompts leaking a gender, age or ethnicity word", _pct(s.leak_rate), "<= 5 %"),
        ("  told: a named cue fixed the attribute", _pct(s.leak_told.get("cue", 0.0)), ""),
        ("  told: only English is read, sent as written", _pct(s.leak_told.get("language", 0.0)), ""),
        ("  silent: not told (detection misses)", _pct(s.leak_told.get("silent", 0.0)), ""),
    ]
    for category, rate in s.leak_by_category.items():
        rows.append((f"  leaking a word of {category}", _pct(rate), ""))
        if category == "religion":
            rows.append(("    of them told (religion is varied only when opted in)", _pct(s.religion_told), ""))
    for kind, rate in s.leak_by_kind.items():
        rows.append((f"  leaking, {kind} prompts", _pct(rate), ""))
    rows.append(("prompts with disagreeing candidates (or a couple's mix fixed)", _pct(s.disagreeing_rate), "<= 2 %"))
    for kind, count in s.disagreeing_by_kind.items():
        rows.append((f"  {kind}", str(count), ""))
    rows.append(("  (groups whose gender mix is fixed: not in the rate above)", _pct(s.group_mix_rate), ""))
    c = s.context
    if c:
        rows += [
            (
                "context attacker, prompts with a cue it uses (certain)",
                f"{c['prompts_with_cue']} ({c['certain']})",
                "",
            ),
            (
                "  success vs 1/N vs mean 1/anonymity",
                f"{_pct(c['success'])} vs {_pct(c['chance_1_over_n'])} vs {_pct(c['shown_1_over_anonymity'])}",
                "<= 1/anonymity + 5",
            ),
            (
                "  margin over 1/anonymity (95 % CI)",
                f"{100 * c['margin_over_shown']:+.1f} ({100 * c['margin_low']:.1f}..{100 * c['margin_high']:.1f})",
                "",
            ),
            (
                "  notice names every cue used (weak ones too)",
                f"{_pct(c['named_every_cue'])} of {c['prompts_with_cue']}",
                "",
            ),
            (
                "  notice names every strong cue used",
                f"{_pct(c['named_every_strong_cue'])} of {c['prompts_with_strong_cue']}",
                ">= 95 %",
            ),
        ]
    rows += [
        ("prompts without a person that get N > 1", _pct(s.false_positive_rate), "<= 3 %"),
        ("user prompts changed (age category, number, persons, name)", _pct(s.changed_rate), "0"),
    ]
    for kind, count in s.changed_by_kind.items():
        rows.append((f"  {kind}", str(count), ""))
    if s.languages:
        lang = s.languages
        rows += [
            (
                "prompts not in English: refused / sent with N = 1 / told only English is read",
                f"{lang['prompts']}: {_pct(lang['refused'])} / {_pct(lang['n_is_1'])} / "
                f"{_pct(lang['told_only_english'])}",
                "told: 100 %",
            ),
            ("  of them leaking", _pct(lang["leak_rate"]), ""),
        ]
    if s.hostile:
        h = s.hostile
        rows.append(
            (
                "hostile Unicode on prompts hidden in plain: in clear / refused / tracebacks",
                f"{h['sent_in_clear']} of {h['prompts']} / {h['refused']} / {h['crashed']}",
                "0 in clear",
            )
        )
        for kind, row in h["by_kind"].items():
            rows.append((f"  {kind}", f"{row['sent_in_clear']} of {row['prompts']} in clear", ""))
    if s.stress:
        st = s.stress
        rows.append(
            (
                f"{st['characters'] // 1000} kB prompts: slowest / over {SLOW_S:g} s / refused / no answer",
                f"{st['max_seconds']:.2f} s / {st['over_limit']} / {st['refused']} / {st['crashed']}",
                f"<= {SLOW_S:g} s",
            )
        )
    rows += [
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
                f"surface attacker {name}: success vs 1/N",
                f"{_pct(a['success'])} vs {_pct(a['chance'])} "
                f"({100 * a['margin']:+.1f}, 95 % CI {100 * a['margin_low']:.1f}..{100 * a['margin_high']:.1f})",
                "<= 1/N + 3",
            )
        )
    rows.append(("prompts sent with residual-risk words (told)", _pct(s.residual_rate), ""))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [title] if title else []
    lines += [f"{name:<{width}}  {value:>{value_width}}  {target}".rstrip() for name, value, target in rows]
    return "\n".join(lines)


def to_json(summary: Summary, results: Sequence[PromptResult]) -> dict[str, Any]:
    """The summary and the prompts that miss a target, as JSON-able data."""
    problems = [
        asdict(r)
        for r in results
        if r.leaked
        or r.disagreeing
        or r.changed_kinds
        or r.cues_unnamed
        or r.context_certain
        or not r.closed
        or r.crashed
        or r.refused
        or r.seconds > SLOW_S
        or (not r.person and r.n > 1)
    ]
    for record in problems:
        if len(record["prompt"]) > 300:
            record["prompt"] = record["prompt"][:300] + f"... ({len(record['prompt'])} characters)"
    return {"summary": asdict(summary), "problems": problems}
