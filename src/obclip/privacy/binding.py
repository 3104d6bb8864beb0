"""Binding to a person: which taxonomy words describe a person ("an old man") and which do not
("an old lighthouse", "queen bee", "Isle of Man", "a baby koala"); the rules and the idiom lexicon
are data (`privacy/data/binding.json`, and WordNet's in `binding_wordnet.json`).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from obclip.privacy.keep import name_renderings
from obclip.privacy.taxonomy import surface_key
from obclip.privacy.words import (
    ARTICLES,
    FUNCTION_WORDS,
    SENTENCE_END,
    TRANSPARENT,
    data_file,
    is_person_noun,
    unaccented,
    written_in_title_case,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from obclip.privacy.taxonomy import AttributeSpec, SurfaceEntry, Taxonomy

ALWAYS = "always"
MODIFIER = "modifier"
CAPITALISED = "capitalised"
TITLE = "title"
AFTER_POSSESSIVE = "after_possessive"
BEFORE_BIRTHDAY = "before_birthday"
PERSON_IN_PROMPT = "person_in_prompt"
RULES = frozenset({ALWAYS, MODIFIER, CAPITALISED, TITLE, AFTER_POSSESSIVE, BEFORE_BIRTHDAY, PERSON_IN_PROMPT})


@dataclass(frozen=True, eq=False)
class Binding:
    """The binding data: a rule per form category, strict surfaces, the idiom lexicon, and the
    agreement data (which words only a child can be, and which attributes then stay as written)."""

    categories: dict[str, str]
    strict: frozenset[str]
    idioms: tuple[str, ...]
    child_categories: dict[str, frozenset[str]] = field(default_factory=dict)
    child_attributes: frozenset[str] = frozenset()
    adult_ages: frozenset[str] = frozenset()
    name_titles: frozenset[str] = frozenset()
    place_prepositions: frozenset[str] = frozenset()
    contexts: tuple[tuple[tuple[str, ...], frozenset[str], bool], ...] = ()
    artist_markers: tuple[str, ...] = ()
    artist_markers_after: tuple[str, ...] = ()
    absence_words: frozenset[str] = frozenset()
    absence_after_no: frozenset[str] = frozenset()
    absence_of_persons: frozenset[str] = frozenset()
    absence_tags: tuple[str, ...] = ()
    alone_is_a_person: frozenset[str] = frozenset()
    after_a_person_noun: tuple[tuple[str, str], ...] = ()
    decade_as_persons: dict[str, str] = field(default_factory=dict)
    likenesses: frozenset[str] = frozenset()
    pictures: frozenset[str] = frozenset()
    person_tags: frozenset[str] = frozenset()
    child_things: frozenset[str] = frozenset()
    pursuits_of_animals: frozenset[str] = frozenset()
    sports: frozenset[str] = frozenset()
    awards: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    generators: frozenset[str] = frozenset()
    lowercase_things: frozenset[str] = frozenset()
    thing_compounds: frozenset[str] = frozenset()
    personifications: tuple[str, ...] = ()
    facilities: frozenset[str] = frozenset()
    after_a_possessive: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def artist_before(self) -> re.Pattern[str] | None:
        """Matches the text before a name when an artist marker leads to it, across other
        capitalised names and "and", "&", "," ("by Greg Rutkowski and Alphonse Mucha")."""
        if not self.artist_markers:
            return None
        markers = "|".join(_spaced(m) for m in sorted(self.artist_markers, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{markers})\s+(?:[A-Z][\w'’.-]*(?:\s+|\s*,\s*|\s+(?:and|&)\s+))*$", re.I)

    @functools.cached_property
    def artist_after(self) -> re.Pattern[str] | None:
        """Matches the text after a first name when a word of style follows, after at most two
        capitalised words ("Wes Anderson style", "Tim Burton aesthetic"): an artist whose style is
        meant."""
        if not self.artist_markers_after:
            return None
        markers = "|".join(_spaced(m) for m in sorted(self.artist_markers_after, key=len, reverse=True))
        return re.compile(rf"(?:[ \t]+[A-Z][\w'’.-]*){{0,2}}[ \t-]+(?:{markers})(?![\w-])", re.I)

    @functools.cached_property
    def personification(self) -> re.Pattern[str] | None:
        """Matches a figure of allegory named with a person word (`personifications`: "Mother
        Nature", "Father Time") in folded text, as whole words."""
        if not self.personifications:
            return None
        words = "|".join(_spaced(w) for w in sorted(self.personifications, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")

    @functools.cached_property
    def nobody_tag(self) -> re.Pattern[str] | None:
        """Matches a tag of its own that says nobody is in the picture (`absence`, ``tags``: "no
        humans", "(no people:1.3)", "nobody"), between the start, a comma or a bracket and the end,
        a comma, a bracket, a full stop, a Midjourney parameter ("no people --ar 16:9") or "just"
        / "only" ("no people just dinos")."""
        if not self.absence_tags:
            return None
        words = "|".join(
            r"[ \t_]+".join(re.escape(part) for part in tag.split(" "))
            for tag in sorted(self.absence_tags, key=len, reverse=True)
        )
        return re.compile(
            rf"(?:^|[,;|(\[{{])[ \t]*[(\[{{]*[ \t]*(?:{words})"
            r"[ \t]*(?::[ \t]*[\d.]+)?[ \t]*[)\]}]*[ \t]*(?=$|[,;|.)\]}\n]|--|(?:just|only)(?![\w-]))"
        )

    def unbound_in(self, folded: str, others: Callable[[frozenset[str]], bool] | None = None) -> frozenset[str]:
        """The categories that name no person in a text holding one of a context's words (the
        kings and queens of a chessboard); a context marked ``alone`` (a tarot card's Empress)
        only where `others` says no other person word is there ("the Empress tarot card as an old
        woman": the card is the woman, varied with her)."""
        found: set[str] = set()
        for words, categories, alone in self.contexts:
            if any(word in folded for word in words) and not (alone and others is not None and others(categories)):
                found |= categories
        return frozenset(found)

    def rule(self, category: str) -> str:
        """How a word of `category` binds to a person (`ALWAYS` for categories not listed)."""
        return self.categories.get(category, ALWAYS)


@functools.cache
def binding() -> Binding:
    """The packaged binding data (cached)."""
    data = data_file("binding.json")
    categories = dict(data["categories"])
    agreement = data.get("agreement", {})
    for category, rule in categories.items():
        if rule not in RULES:
            raise ValueError(f"binding.json: category {category!r} has unknown rule {rule!r}")
    return Binding(
        categories=categories,
        strict=frozenset(surface_key(s) for s in data["strict"]),
        idioms=tuple(dict.fromkeys(surface_key(s) for s in (*data["not_a_person"], *_wordnet()["compounds"]))),
        child_categories={k: frozenset(v) for k, v in agreement.get("child_categories", {}).items()},
        child_attributes=frozenset(agreement.get("child_attributes", ())),
        adult_ages=frozenset(agreement.get("adult_ages", ())),
        name_titles=frozenset(data.get("name_titles", {}).get("categories", ())),
        place_prepositions=frozenset(data.get("place_prepositions", ())),
        contexts=tuple(
            (tuple(surface_key(w) for w in c["words"]), frozenset(c["categories"]), bool(c.get("alone")))
            for c in data.get("not_a_person_in_context", ())
        ),
        artist_markers=tuple(surface_key(w) for w in data.get("artist_markers", {}).get("words", ())),
        artist_markers_after=tuple(surface_key(w) for w in data.get("artist_markers", {}).get("after", ())),
        absence_words=frozenset(data.get("absence", {}).get("words", ())),
        absence_after_no=frozenset(data.get("absence", {}).get("after_no", ())),
        absence_of_persons=frozenset(data.get("absence", {}).get("of_persons", ())),
        absence_tags=tuple(data.get("absence", {}).get("tags", ())),
        alone_is_a_person=frozenset(data.get("alone_is_a_person", {}).get("attributes", ())),
        after_a_person_noun=tuple(data.get("after_a_person_noun", {}).get("words", {}).items()),
        after_a_possessive=tuple(data.get("after_a_possessive", {}).get("words", {}).items()),
        thing_compounds=frozenset(surface_key(w) for w in data.get("thing_compounds", {}).get("words", ())),
        personifications=tuple(surface_key(w) for w in data.get("personifications", {}).get("words", ())),
        facilities=frozenset(surface_key(w) for w in data.get("facilities", {}).get("words", ())),
        decade_as_persons=dict(data.get("decade_as_persons", {}).get("words", {})),
        likenesses=frozenset(data.get("likenesses", {}).get("words", ())),
        pictures=frozenset(data.get("pictures", {}).get("words", ())),
        person_tags=frozenset(data.get("person_tags", {}).get("tags", ())),
        child_things=frozenset(data.get("child_things", {}).get("words", ())),
        pursuits_of_animals=frozenset(data.get("pursuits_of_animals", {}).get("words", ())),
        sports=frozenset(data.get("sports", {}).get("words", ())),
        awards=frozenset(data.get("awards", {}).get("words", ())),
        places=frozenset(data.get("places", {}).get("words", ())),
        generators=frozenset(data.get("generators", {}).get("words", ())),
        lowercase_things=frozenset(data.get("lowercase_things", {}).get("words", ())),
    )


# a line's label: up to six words before a colon at its start ("Kling 1.6 image to video: ..."),
# each word ended by a space, so that a long word is never split (read once)
_LINE_LABEL = re.compile(r"(?:^|\n)[ \t]*((?:[\w.'’-]+[ \t]+){0,5}[\w.'’-]+)[ \t]*:(?![\w/])")
_LABEL_WORD = re.compile(r"\w[\w'’-]*")


def generator_labels(folded: str) -> tuple[tuple[int, int], ...]:
    """The spans of `folded` that label a line with the name of an image or video generator
    (`binding.json`, ``generators``: "kling: close up of ...", "sora: a woman walking", "kling 1.6
    image to video: ..."): a tool, never a person."""
    generators = binding().generators
    return tuple(
        (label.start(1), label.end(1))
        for label in _LINE_LABEL.finditer(folded)
        if any(w in generators for w in _LABEL_WORD.findall(label.group(1)))
    )


@functools.cache
def _wordnet() -> dict[str, list[str]]:
    data = data_file("binding_wordnet.json")
    keys = (
        "compounds",
        "object_heads",
        "also_verbs",
        "name_prefixes",
        "person_or_group_heads",
        "depictions",
        "owned_heads",
        "body_heads",
        "worn_heads",
        "name_compounds",
        "named_object_heads",
        "animal_heads",
        "likenesses",
        "not_nouns",
        "present_verbs",
        "gathering_heads",
        "gathering_groups",
        "compound_activities",
    )
    return {key: list(data.get(key, ())) for key in keys}


@functools.cache
def _name_compounds() -> dict[str, tuple[tuple[str, int], ...]]:
    """Per word, the name compounds holding it (`name_compounds`) and where it starts in each."""
    index: dict[str, list[tuple[str, int]]] = {}
    for phrase in _wordnet()["name_compounds"]:
        for word in re.finditer(r"[^\s-]+", phrase):
            index.setdefault(word.group(), []).append((phrase, word.start()))
    return {word: tuple(found) for word, found in index.items()}


def in_name_compound(folded: str, start: int, end: int, name: str) -> bool:
    """Whether `name` written at folded[start:end] would lie in a multiword noun of WordNet that
    names a thing, place or the like ("eggs Benedict", "a Tom Collins", "a Bloody Mary", "lazy
    Susan", "Ann Arbor"; `name_compounds`): no person is meant."""
    for phrase, offset in _name_compounds().get(name, ()):
        begin, tail = start - offset, phrase[offset + len(name) :]
        after = end + len(tail)
        if begin < 0 or folded[begin:start] != phrase[:offset] or folded[end:after] != tail:
            continue
        if (begin == 0 or not folded[begin - 1].isalnum()) and (after == len(folded) or not folded[after].isalnum()):
            return True
    return False


@functools.cache
def _depictions() -> frozenset[str]:
    return frozenset(_wordnet()["depictions"])


def is_depiction(word: str) -> bool:
    """Whether a (folded) noun names a picture, statue or doll of what is before it ("photo",
    "statue", "snapshots": `depictions`, singular or plural)."""
    depictions = _depictions()
    return word in depictions or (word.endswith("s") and word[:-1] in depictions)


@functools.cache
def _likenesses() -> frozenset[str]:
    return frozenset(_wordnet()["likenesses"]) | binding().likenesses


def is_picture(word: str) -> bool:
    """Whether a (folded) noun names a picture that shows the person noun right before it ("old man
    sketch", "anime girl art", "boy sprite sheet": `binding.json`, `pictures`), singular or plural."""
    pictures = binding().pictures
    return word in pictures or (word.endswith("s") and word[:-1] in pictures)


def is_likeness(word: str) -> bool:
    """Whether a (folded) noun names a thing made in a person's likeness ("robot", "mannequin",
    "statue": `likenesses`), which no word said of it makes a person ("a female robot")."""
    return word in _likenesses()


@functools.cache
def not_nouns() -> frozenset[str]:
    """Common words WordNet lists as adjectives or adverbs only ("alone", "asleep", "together")."""
    return frozenset(_wordnet()["not_nouns"])


@functools.cache
def present_verbs() -> frozenset[str]:
    """The present third-person singular of common verbs ("sits", "slices", "mends": `present_verbs`)."""
    return frozenset(_wordnet()["present_verbs"])


_CLAUSE_BREAK = re.compile(r"[,;:.!?()\[\]{}|\n]")
# the same but brackets and a weight's ":1.2": a likeness closed in brackets before its "of" still
# holds the words after it ("((antique marionette)) of an old king")
_PHRASE_BREAK = re.compile(r"[,;!?|\n]|(?<!\d)\.|\.(?!\d)|:(?![\d.]+\))")
_LIKENESS_OF = re.compile(
    r"(?<![\w'’-])(?:([a-z]+)[ \t]+)?"
    r"(?!(?:painted|dressed|carved|shaped|styled)[ \t])([a-z]+)(?::[\d.]+)?[)\]}]*[ \t]+"  # "((antique marionette)) of"
    r"(?:of|((?:painted|dressed|carved|shaped|styled)[ \t]+(?:as|like)"
    # ... or an animal remade as one: "make my corgi look like a royal guard", "my cat as an old
    # man", "turn my cat into a victorian gentleman" (`_dressed_as`)
    r"|looks?[ \t]+like|(?:as|into)(?=[ \t]+an?[ \t])))[ \t]"
)
_REMADE = re.compile(r"looks?[ \t]|as$|into$")
_JOINED_BEFORE = re.compile(r"(?<![\w'’-])(?:and|&|with)[ \t]+(?:(?:my|our|his|her|their|the|a|an)[ \t]+)?$")
# a picture of someone that hangs in the scene, said later in its clause, in a place said empty,
# is a thing there (`in_likeness`)
_HUNG_PICTURES = frozenset(
    {
        *("portrait", "portraits", "painting", "paintings", "poster", "posters", "canvas", "tapestry", "photograph"),
        *("mural", "murals", "fresco", "frescoes", "billboard", "billboards"),
    }
)
_HANGING = re.compile(
    r"(?<![\w'’-])(?:(?:hanging|hangs|hung)[ \t]+(?:on|above|over|in)[ \t]+(?:the|a|an)[ \t]+(?:[a-z]+[ \t]+){0,2}"
    r"(?:wall|fireplace|mantel|mantelpiece|hallway|hall|gallery|museum|room|library|study|stairwell|staircase|parlou?r)"
    r"|on[ \t]+(?:the|a)[ \t]+(?:[a-z-]+[ \t]+){0,2}wall"
    r"|above[ \t]+(?:the|a)[ \t]+(?:fireplace|mantel|mantelpiece|hearth|bed|sofa|couch))"
    r"(?![\w'’-])"
)
_PRONOUN_AT = re.compile(r"(?:her|his|their|its|my|your|our)(?![\w'’-])")
_HE_OR_SHE = re.compile(r"(?<![\w'’-])(?:he|she)(?![\w'’-])")
_ANY_PRONOUN_AT = re.compile(r"(?:she|he|they|her|his|him|them|their|hers|its)(?![\w'’-])")
_LIKENESS_WORD = 14


@functools.lru_cache(maxsize=16)
def _break_ends(pattern: re.Pattern[str], folded: str) -> tuple[int, ...]:
    """Where each break of `pattern` (`_CLAUSE_BREAK`, `_PHRASE_BREAK`) ends in `folded`."""
    return tuple(m.end() for m in pattern.finditer(folded))


def _likenesses_of(folded: str, low: int, high: int) -> list[re.Match[str]]:
    """`_LIKENESS_OF`'s matches in folded[low:high], as `finditer(folded, low, high)` finds them, taken
    from the text's own matches, found once (a clause of a long tag list without commas is read
    before each of its words: 4,000 characters had taken seconds), unless one of those straddles
    `low` or `high`, where the bounded search may find others."""
    found, starts = _likeness_matches(folded)
    first, last = bisect.bisect_left(starts, low), bisect.bisect_left(starts, high)
    if (first and found[first - 1].end() > low) or (last and found[last - 1].end() > high):
        return list(_LIKENESS_OF.finditer(folded, low, high))
    return found[first:last]


@functools.lru_cache(maxsize=16)
def _likeness_matches(folded: str) -> tuple[list[re.Match[str]], list[int]]:
    found = list(_LIKENESS_OF.finditer(folded))
    return found, [m.start() for m in found]


def _opening(pattern: re.Pattern[str], folded: str, start: int) -> tuple[int, int | None]:
    """Where the stretch of `folded` holding `start`, between breaks of `pattern`, opens, and where
    the next break ends (None at the end of the text)."""
    breaks = _break_ends(pattern, folded)
    at = bisect.bisect_right(breaks, start)
    return (breaks[at - 1] if at else 0), (breaks[at] if at < len(breaks) else None)


def _dressed_as(folded: str, found: re.Match[str]) -> bool:
    """Whether a `_LIKENESS_OF` match is an animal or a thing dressed, shaped or carved as a person
    ("a corgi dressed as a king"), or an animal remade as one ("make my corgi look like a royal
    guard", "turn my cat into an old man"), not beside someone ("me and my dog as a king and queen":
    one of them is me). "as" and "into" before "a" or "an" only: "a panel as she tries", "groceries
    into the trunk while their daughter ..." are no such thing."""
    noun = found.group(2)
    if not _REMADE.match(found.group(3)):
        return is_object_head(noun) and not is_person_noun(noun)
    return noun in animal_heads() and not _JOINED_BEFORE.search(folded, max(0, found.start(2) - 16), found.start(2))


def in_likeness(folded: str, start: int) -> bool:
    """Whether the person word at folded[start] describes a thing made in a person's likeness
    (`likenesses`, from WordNet): one said to be "of" them, or painted, dressed, carved, shaped or
    styled as or like them, earlier in the same clause ("a marble statue of an old fisherman mending
    a net", "a bronze statue of a mother holding her baby", "a funko pop of a schoolgirl", "nesting
    dolls painted as brides"; any animal or thing dressed, shaped or carved so, or remade so: "a corgi
    dressed as a king", "a toby jug shaped like a jolly old sea captain", "make my corgi look like a
    royal guard", "turn my cat into an old man"), or
    right before the word ("a rusty robot grandma"). A picture may show the user and is none, but
    for one hanging in a place said empty ("an oil portrait of an old admiral hanging above the
    fireplace of an empty library"). Reads the fixed text of the clause, which a slot never breaks."""
    before = _LOWER_WORD_BEFORE.search(folded, max(0, start - _LIKENESS_WORD), start)
    if before is not None and before.group(1) in _likenesses() and not _ANY_PRONOUN_AT.match(folded, start):
        return True  # "a rusty robot grandma"; not "scarecrows she made"
    if _PRONOUN_AT.match(folded, start) and folded[max(0, start - 3) : start] == "of ":
        return False  # "a man carving a statue of his father": the possessor is the man, no likeness
    clause, next_break = _opening(_CLAUSE_BREAK, folded, start)
    phrase, _ = _opening(_PHRASE_BREAK, folded, start)
    # a match before the clause counts where its "of" is in it: a bracket closed before the "of"
    # ("((antique marionette)) of an old king"), not after ("(statues of warriors:1.1) around her")
    found = [m for m in _likenesses_of(folded, min(phrase, clause), start) if m.end() > clause]
    if any(
        m.group(2) in _likenesses() or f"{m.group(1)} {m.group(2)}" in _likenesses()  # "funko pop of"
        for m in found
    ):
        return True
    if any(m.group(3) is not None and _dressed_as(folded, m) for m in found):
        return True
    # a picture that hangs in a scene said to be empty is a thing in it: "an oil portrait of a stern
    # old admiral hanging above the fireplace of an empty manor library", "empty barbershop, faded
    # poster of a man with a pompadour on the wall", "a mural of Rosie the Riveter on a brick wall,
    # empty street"
    end = len(folded) if next_break is None else next_break
    return (
        any(m.group(2) in _HUNG_PICTURES and m.group(3) is None for m in found)
        and not _PRONOUN_AT.match(folded, start)  # "a woman hanging a portrait of her grandmother"
        and _HANGING.search(folded, start, end) is not None
        and says_no_one_is_there(folded)  # in a room said empty: "a widow under a portrait of her
        # late husband hanging above the fireplace" names him, the user's kin
        and _HE_OR_SHE.search(folded) is None  # "The framing is wide and empty ... He stops to look at a poster"
    )


_MEME_AFTER = re.compile(r"(?<![\w'’-])memes?(?![\w'’-])")
# said of a meme recreated with others, every person of it replaced, not as another picture of its
# persons ("but as a renaissance oil painting", "recreated as a real photo" still show them), nor
# one of them replaced ("but the girlfriend is a cat" still shows the boyfriend)
_RECREATED = re.compile(
    r"(?<![\w'’-])(?:recreat\w*|remade|remake|reimagin\w*|redone|redraw|re-?drawn)[ \t]+(?:with|using|by)[ \t]"
    r"|(?<![\w'’-])memes?[ \t]+(?:template[ \t]+)?(?:but[ \t]+(?:both|all|every\w*|it['’]s|they['’]re)"
    r"|with[ \t]+(?:\d+|two|three|four|five|six|seven|eight|nine|ten))[ \t]"
)


_RECREATING = re.compile(r"(?<![\w'’-])(?:recreat\w*|remak\w*|reimagin\w*|redo\w*|redraw\w*)(?![\w'’-])")


@functools.lru_cache(maxsize=32)
def _spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The starts and ends of every match of `pattern` in `text`, found once per text, so that a rule
    looking for the nearest one before or after a word of a long prompt bisects instead of searching."""
    found = list(pattern.finditer(text))
    return tuple(m.start() for m in found), tuple(m.end() for m in found)


def _meme_words(folded: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The starts and ends of every "meme" in `folded`, none where it says no meme is recreated: found
    once per text, where each person word of a long prompt had searched the rest of its clause."""
    return _spans(_MEME_AFTER, folded) if _holds(_RECREATED, folded) else ((), ())


def in_recreated_meme(folded: str, start: int) -> bool:
    """Whether the person word at folded[start] is in a meme's name, said before "meme" in its
    clause, in a prompt that says the meme is recreated with others ("distracted boyfriend meme
    recreated with three shiba inus", "woman yelling at a cat meme but both sides are cats",
    "distracted boyfriend meme with three houseplants"): a title, no one in the picture. Without
    such words the meme's persons are drawn ("the distracted boyfriend meme, photorealistic")."""
    starts, ends = _meme_words(folded)
    at = bisect.bisect_left(starts, start)
    if at == len(starts):
        return False
    _, next_break = _opening(_CLAUSE_BREAK, folded, start)
    if next_break is not None and ends[at] > next_break:
        return False  # the first "meme" after the word is in a later clause
    return _RECREATING.search(folded, start, starts[at]) is None  # "a woman recreating the ... meme" is there


@functools.cache
def _person_or_group_heads() -> frozenset[str]:
    return frozenset(_wordnet()["person_or_group_heads"])


@functools.cache
def _name_prefix() -> re.Pattern[str] | None:
    words = _wordnet()["name_prefixes"]
    if not words:
        return None
    return re.compile(rf"(?<![\w'’-])(?:{'|'.join(re.escape(w) for w in words)})\.?[ \t]+$")


def after_name_prefix(folded: str, start: int, categories: frozenset[str]) -> bool:
    """Whether the first name at folded[start:] follows a word that makes it the name of a place or
    thing ("Lake Victoria", "Mount Logan", "San Diego", "a Saint Bernard", "St. Louis"): the first
    words of WordNet's proper nouns made with first names (`name_prefixes`). Reads the word before."""
    pattern = _name_prefix()
    if pattern is None or "first_name" not in categories:
        return False
    return pattern.search(folded, max(0, start - 16), start) is not None


_SINGULAR_ARTICLE = re.compile(r"(?<![\w'’-])an?[ \t]+$")
_POSSESSIVE = re.compile(r"['’]s?(?=[ \t]+[a-z])")
_MAX_HEAD_WORDS = 5
_ORDINAL = "\x02"  # `_after_possessive`: an ordinal there ("baby's first christmas ornament")
_PLAIN_AFTER = re.compile(r"[ \t]+[a-z]")
_GENITIVE_WINDOW = 200


# a girl's word that is also her party's, which one goes to ("at her quinceañera"): written so, no
# person is meant; every other form of its category ("at the girl") names one
_PARTY_PERSONS = frozenset({"quinceanera"})
_GOING_TO = re.compile(
    r"(?<![\w'’-])(?:at|to|for|from|attend|attends|attending)[ \t]+(?:(?:a|an|the|her|his|my|their|our|your)[ \t]+)?$"
    # ... or whose party it is: "my daughter's quinceañera", "her quinceañera, she's wearing ..."
    r"|(?:\w['’]s?|(?<![\w'’-])(?:her|his|my|our|their|your))[ \t]+$"
)


def _party_named_for(folded: str, start: int, end: int) -> bool:
    """Whether folded[start:end] is a party named for a person ("a family at a quinceañera"),
    as written, after a word of going to it or a possessive ("my daughter's quinceañera")."""
    if unaccented(folded[start:end]) not in _PARTY_PERSONS:
        return False
    return _GOING_TO.search(folded, max(0, start - 24), start) is not None


def _plural(entry: SurfaceEntry) -> bool:
    return any("plural" in c for c in entry.categories)


_FOR_WHOM = re.compile(r"(?<![\w'’-])([a-z]+)[ \t]+for[ \t]+$")


def for_whom(taxonomy: Taxonomy, folded: str, start: int, end: int, surface: str = "") -> bool:
    """Whether the plural person noun at folded[start:end] says whom a thing is made for: right
    after a thing and "for", ending the phrase ("beard oil for men", "rain boots for kids", "a
    perfume for women, amber bottle"). No one is shown; the words are the product's."""
    entry = taxonomy.lexicon.get(surface_key(surface or folded[start:end]))
    if entry is None or entry.is_pronoun or not _plural(entry):
        return False
    if any(c.startswith("tag_") for c in entry.categories):
        return False
    thing = _FOR_WHOM.search(folded, max(0, start - 40), start)
    if thing is None or is_picture(thing.group(1)) or thing.group(1) in gathering_heads():
        return False  # "a portrait for women", "a party for kids": they may be there
    if not (is_object_head(thing.group(1)) or thing.group(1) in worn_heads()):
        return False
    return _phrase_ends(folded, end)


def classifying_genitive(taxonomy: Taxonomy, folded: str, start: int, end: int, surface: str = "") -> bool:
    """Whether the plural person noun at folded[start:end] is a possessive that classifies the thing
    after it, right after a singular article: "a boys' bicycle", "a women's magazine", "a children's
    book", the apostrophe left out too before a thing owned ("a boys room", `owned_heads`) (the
    article belongs to the thing, so no person is shown). "the boys' bicycle" and "a boy's
    bicycle" may show their owners and stay persons, and so does a possessive before a person or a
    group ("a women's soccer team", "a boys' choir": `person_or_group_heads`) or any person word of
    the taxonomy ("a boys' Emma", "a boys' old man"). Reads the article, the apostrophe, the words
    after and the kind of each taxonomy word among them (an adjective is passed over, whatever form
    it renders), never the value."""
    entry = taxonomy.lexicon.get(surface_key(surface or folded[start:end]))
    if entry is None or entry.is_pronoun or not _plural(entry):
        return False
    if any(c.startswith("tag_") for c in entry.categories):
        return False
    if _SINGULAR_ARTICLE.search(folded, max(0, start - 8), start) is None:
        return False
    possessive = _POSSESSIVE.match(folded, end)
    if possessive is None and _PLAIN_AFTER.match(folded, end) is None:
        return False  # a plural after a singular article needs no apostrophe: "a boys room", "a kids menu"
    words, groups, head = 0, _person_or_group_heads(), ""
    for word, after in _after_possessive(taxonomy, folded, possessive.end() if possessive is not None else end):
        if words >= _MAX_HEAD_WORDS:
            break
        if word is None:
            return False  # a person's word: "a boys' old man" shows persons
        if not word or word == _ORDINAL:
            continue  # an attribute's adjective ("a women's old car"), not counted
        if word in FUNCTION_WORDS or word.endswith(("ing", "ed")):
            break  # the phrase ends ("a boys' bicycle leaning")
        if word in groups or is_person_noun(word):
            return False  # before the apostrophe: a slot's possessive may render as a pair ("boys and girls'")
        if folded.startswith(("'", "’"), after):
            break  # a possessive starts another phrase
        words += 1
        head = word
    if possessive is None and head not in _owned_heads():
        return False  # "refereeing a kids basketball game", "a grandmas hands": persons shown, or theirs
    return words > 0


def facility_genitive(taxonomy: Taxonomy, folded: str, start: int, end: int, surface: str = "") -> bool:
    """Whether the plural person noun at folded[start:end], written as a possessive, names whom a
    place or a kind of goods is for (`binding.json`, ``facilities``: "the men's room door", "men's
    restroom icon", "the women's ward of an abandoned asylum", "the ladies' room sign"), whatever
    article comes before: a place or a department, no person shown. A taxonomy word that only
    modifies is passed over ("the women's old ward"); the first other word must be the place or the
    goods, and a person word there is a person ("the women's old nurse")."""
    entry = taxonomy.lexicon.get(surface_key(surface or folded[start:end]))
    if entry is None or entry.is_pronoun or not _plural(entry):
        return False
    possessive = _POSSESSIVE.match(folded, end)
    if possessive is None:
        return False
    facilities, groups = binding().facilities, _person_or_group_heads()
    for word, after in _after_possessive(taxonomy, folded, possessive.end()):
        if word is None:
            return False
        if not word or word == _ORDINAL:
            continue
        if word not in facilities:
            return False
        # "the girls' school choir", "the boys' school team": the group after it is of persons
        following = _LITERAL_WORD.match(folded, after + 1) if folded[after : after + 1] == " " else None
        return following is None or following.group() not in groups
    return False


def _after_possessive(taxonomy: Taxonomy, folded: str, cursor: int) -> Iterator[tuple[str | None, int]]:
    """The words after a possessive, from folded[cursor], left to right, each with its end: a
    plain word as written; "" for a taxonomy word that only modifies, `_ORDINAL` for an ordinal
    that only a birthday makes a person's age ("first"), None for one that names a person. A
    taxonomy word may be a slot that renders other forms of its kind ("old" as "middle-aged",
    "Mister" as "woman", "Emma" as "Ted"): it is read by its kind, never its form."""
    rules = binding()
    window = min(len(folded), cursor + _GENITIVE_WINDOW)
    sensitive = {found.start(): found for found in taxonomy.matcher.finditer(folded, cursor, window)}
    while (noun := _NEXT_WORD.match(folded, cursor)) is not None:
        found = sensitive.get(noun.start(1))
        if found is None:
            cursor = noun.end()
            yield noun.group(1), cursor
            continue
        entry = taxonomy.lexicon[surface_key(found.group())]
        cursor = found.end()
        if all(rules.rule(c) == BEFORE_BIRTHDAY for c in entry.categories):
            yield _ORDINAL, cursor  # an ordinal, no person: "baby's first christmas ornament"
            continue
        yield (None if entry.is_pronoun or any(rules.rule(c) != MODIFIER for c in entry.categories) else ""), cursor


@functools.cache
def _owned_heads() -> frozenset[str]:
    return frozenset(_wordnet()["owned_heads"])


@functools.cache
def worn_heads() -> frozenset[str]:
    """What a person wears or carries, from WordNet, with plurals ("mask", "suit", "kimono")."""
    return frozenset(_wordnet()["worn_heads"])


@functools.cache
def gathering_heads() -> frozenset[str]:
    """Gatherings of people, from WordNet, with plurals ("wedding", "festival", "choir", "family")."""
    return frozenset(_wordnet()["gathering_heads"])


@functools.cache
def gathering_groups() -> frozenset[str]:
    """The groups of people among `gathering_heads` ("choir", "crowd", "family", "team")."""
    return frozenset(_wordnet()["gathering_groups"])


@functools.cache
def _body_heads() -> frozenset[str]:
    return frozenset(_wordnet()["body_heads"])


def is_body_part(word: str) -> bool:
    """Whether a (folded) noun's first sense is a part of the body ("hands", "face": `body_heads`)."""
    return word in _body_heads()


def says_no_one_is_there(folded: str, *, outright: bool = False) -> bool:
    """Whether the prompt says that nobody is in the picture: "no humans", "(no people:1.4)", "no
    hikers", "nobody", "empty", "deserted" (`absence` in `data/binding.json`). `outright`: only
    where it says so of persons by a word no slot renders ("no humans", "nobody"), not of a place
    ("an empty beach" may still hold the woman walking on it), nor by a person noun after "no",
    which may be a slot that renders otherwise ("no adults's Emma" / "no elderly people's Emma")."""
    rules = binding()
    for found in _NO_WORD.finditer(folded):
        word = found.group(1)
        if word in rules.absence_after_no:
            return True
        if not outright and word.endswith("s") and is_person_noun(word):
            return True  # "no hikers"; outright reads no person noun, which may be a slot ("no adults")
    words = rules.absence_of_persons if outright else rules.absence_words
    return any(word in words for word in _ABSENCE_WORD.findall(folded))


_NO_WORD = re.compile(r"(?<![\w'’-])no[ \t_]+([a-z]+)")
_ABSENCE_WORD = re.compile(r"(?<![\w'’-])([a-z]+)(?![\w'’-])")


# the possessive determiners, which open a phrase and make the plural after them an owner
_POSSESSIVES = "my|your|our|his|her|their"
_PHRASE_OPENING = re.compile(rf"(?:[,.;:!?(\[{{|]|(?<![\w'’-])(?:an?|{_POSSESSIVES}))[ \t]*$")


def opens_phrase(folded: str, start: int) -> bool:
    """Whether folded[start] opens the text or a phrase (after punctuation or a bracket, or right
    after "a" or a possessive determiner): where a plural can only be a possessive, its apostrophe
    left out ("dads garage", "boys bike leaning on a fence", "a womens perfume bottle", "my dads
    shirt"); elsewhere it may be the subject of what follows ("the boys bike to school")."""
    return not folded[:start].strip() or _PHRASE_OPENING.search(folded, max(0, start - 8), start) is not None


# a determiner opening a verb's object: "girls paint the fence", "the bride stays the same"
_OBJECT_DETERMINERS = r"the|a|an|his|her|their|its|my|our|your|some"
_OBJECT_AFTER = re.compile(rf"[ \t]+(?:{_OBJECT_DETERMINERS})(?![\w'’-])")
# a preposition of place or motion, or a determiner opening an object, right after a word that is
# also a verb: "women fish in the river", "girls paint the fence"
_PLACE_AFTER_VERB = re.compile(
    r"[ \t]+(?:in|on|at|to|into|onto|through|across|along|around|over|under|from|past|toward|towards"
    rf"|{_OBJECT_DETERMINERS})(?![\w'’-])"
)
# a verb's particle after it: "boys dress up", "dads suit up", "kids gear up"
PARTICLE = re.compile(r"[ \t]+(?:up|out|off|down|away|together)(?![\w'’-])")


def owns_thing(taxonomy: Taxonomy, folded: str, end: int, nobody: bool = False, plural_at: int | None = None) -> bool:
    """Whether the person noun ending at folded[end] is the possessor of a thing named right after
    it: a possessive, then up to four words ending the phrase in a thing or what a person wears
    (`owned_heads`: "a gentleman's pocket watch lying on a map", "men's leather oxford shoes", "an
    old fisherman's boat"), or in another noun after such a thing ("women's restroom sign"); never
    a body part, a likeness, a person or a group ("a woman's hands", "a woman's portrait", "a
    fisherman's wife", "a women's team", "a woman's ring finger"). Where the prompt says nobody is
    there (`nobody`, `says_no_one_is_there`), any other noun will do ("gentleman's study with
    mahogany shelves, empty"). Such a possessor need not be in the picture; the caller decides from
    the rest of the prompt. A taxonomy word among the words is passed over when it only modifies
    (whatever form it renders) and ends the test when it names a person; reads kinds, never
    values. `plural_at`: where a plural person noun starts, whose possessive may leave out its
    apostrophe where it opens a phrase (`opens_phrase`: "boys bike leaning on a fence"); a
    participle or a particle then ends the test ("boys playing football", "boys gear up"), and
    so does a word that is also a verb before where it goes ("women fish in the river")."""
    possessive = _POSSESSIVE.match(folded, end)
    if possessive is not None:
        cursor, bare = possessive.end(), False
    elif plural_at is not None and opens_phrase(folded, plural_at):
        cursor, bare = end, True
    else:
        return False
    head, owned = "", False
    ordinal = right_after_ordinal = False
    for count, (word, after) in enumerate(_after_possessive(taxonomy, folded, cursor)):
        if count == _MAX_HEAD_WORDS:
            break
        if word is None:
            return False  # "a man's wife", "the boys' Emma"
        if word == _ORDINAL:
            cursor, ordinal = after, True
            continue
        if not word:
            cursor, head = after, ""
            continue
        if word in FUNCTION_WORDS:
            break  # the phrase ends: "a gentleman's pocket watch lying on a map"
        if folded.startswith(("'", "’"), after):
            return False  # another possessive: "a woman's daughter's toys"
        if head in _owned_heads() and (is_picture(word) or word == "product"):
            return True  # a picture of the thing: "men's leather watch product photo"
        if word.endswith(("ing", "ed")):
            if head or bare:
                break  # a participle after the head ends the phrase: "a woman's hands kneading dough"
            cursor = after
            continue  # one before it is no head: "grandpa's fishing rod", "a man's rocking chair"
        if bare and PARTICLE.match(folded, after):
            return False  # "girls dress up": a verb and its particle
        if bare and not head and word in _also_verbs() and _PLACE_AFTER_VERB.match(folded, after):
            return False  # "women fish in the river", "girls paint the fence": a verb, where or what
        cursor, head = after, word
        right_after_ordinal, ordinal = ordinal, False
        owned = owned or word in _owned_heads()
    if right_after_ordinal:
        return False  # an event of the person's: "baby's first steps", "baby's first bath"
    if head in _owned_heads():
        return _phrase_ends(folded, cursor)
    if not head or head in _body_heads() or head in _person_or_group_heads() or is_depiction(head):
        return False
    if is_person_noun(head) or not (owned or nobody):
        return False
    return _phrase_ends(folded, cursor)


_SAYS_VERB = (
    r"(?<![\w-])(?:says?|saying|reads?|reading|spells?|spelling|spelled|written|labell?ed|lettering|text|titled"
    r"|the[ \t]+words?)"
    r"[ \t]*:?[ \t]*[\"“”'‘]?[ \t]*"
)
_SAYS = re.compile(_SAYS_VERB + r"(?:[^\sa-z]+[ \t]+)*$")
# a name in title case after such a word: "a sign reading The Jolly Fisherman", "titled Grandma's Apple Pie",
# a number among its words too: "a card that says Happy 60th Uncle Joe"
_SAYS_TITLED = re.compile(_SAYS_VERB + r"(?:(?:[^\W_a-z][\w'’&-]*|&)[ \t]+)*$")
_QUOTES = '"“”'
_SIGN_WINDOW = 120


def in_sign_text(text: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] is written in capitals on a sign or label rather than
    naming a person: before the sign it is on, in lower case ("MEN AT WORK road sign", "GIRLS
    GIRLS GIRLS neon sign"); after "says", "reads", "that says", "labelled", "titled" ... with only
    capitalised words between ('a neon sign that says GIRLS GIRLS GIRLS', 'an anchor tattoo with the
    word MOM in a banner'; in title case too, 'a
    sign that says "Grandma's Diner"', 'a tavern sign reading The Jolly Fisherman'), or inside a quotation in capitals
    ('a shop front with "BOYS & GIRLS" above the door') with lower-case text around it (a prompt
    in capitals throughout is still read); any quotation, whatever its case, right before what
    it is written as or on ('"beloved mother" engraving', 'a "mom" tattoo'); a merchandise
    slogan before what it is printed on ("world's best grandpa mug", "#1 dad t-shirt"); and up to
    four lower-case words a thing says ("a t-shirt that says girl dad", `_said_on_thing`). Reads how
    the word is written, never its value."""
    word = text[start:end]
    line_start = text.rfind("\n", 0, start) + 1
    if (
        _holds(_SLOGAN_ANYWHERE, text)
        and _SLOGAN_BEFORE.search(text, max(line_start, start - _SIGN_WINDOW), start)
        and _SLOGAN_AFTER.match(text, end)
    ):
        return True  # a slogan printed on a thing: "world's best grandpa mug", "#1 Dad t-shirt"
    if _said_on_thing(text, start, line_start):
        return True  # what a thing says, in lower case: "a t-shirt that says girl dad"
    quotation = _quotation(text, start, end, line_start)
    if quotation is not None and _WRITTEN_AFTER_QUOTE.match(text, quotation[1] + 1) is not None:
        return True  # a quotation in any case before what it is written on: '"beloved mother" engraving'
    span = quotation or _single_quotation(text, start, end, line_start)
    if span is not None and _quoted_text(text, span, line_start):
        return True
    if word[:1].isupper() and not word.isupper():  # title case: a name on the sign, told by its verb
        if _SAYS_TITLED.search(text, max(line_start, start - _SIGN_WINDOW), start) is not None:
            return True
        return _in_quoted_title(text, start, end, line_start)
    if not any(c.isalpha() for c in word) or not word.isupper() or sum(c.isalpha() for c in word) < 2:
        return False
    if _SAYS.search(text, max(line_start, start - _SIGN_WINDOW), start) is not None:
        return True
    found = _CAPITALS_ON_SIGN.match(text, end)
    if found is not None and found.group(1) not in FUNCTION_WORDS and not (found.group(1) or "").endswith("ing"):
        return True  # the capitals of a sign named right after them: "MEN AT WORK road sign"
    written = _CAPITALS_WRITTEN.match(text, end) is not None
    if written and _ARTICLE_BEFORE.search(text[max(0, start - 8) : start].lower()) is None:
        return True  # "WOMEN painted on the door", not "a MAN painted on a wall": what was written there
    span = _quotation(text, start, end, line_start) or _single_quotation(text, start, end, line_start)
    if span is None:
        return False
    opening, closing = span[0] - 1, span[1]
    quoted = text[opening + 1 : closing]
    around = text[max(0, opening - _SIGN_WINDOW) : opening] + text[closing + 1 : closing + 1 + _SIGN_WINDOW]
    return not any(c.islower() for c in quoted) and any(c.islower() for c in around)


_COURTESY = "title_courtesy"
_NAMED_RIGHT_BEFORE = re.compile(
    r"(?<![\w'’-])(?:named|called|christened|dubbed|labell?ed|titled|branded|the[ \t]+name)[ \t]*[\"“'‘]?[ \t]*$"
)
# a surname right after a courtesy title, or after a second title ("Mr. and Mrs. Lopez"), no possessive after
# it (which makes a shop's name: "Mrs. Smith's Bakery")
_NAME_AFTER_TITLE = re.compile(
    r"\.?(?:[ \t]+(?:and|&)[ \t]+[A-Z][A-Za-z]*\.?)?[ \t]+[A-Z][\w-]*(?![\w-]|['’][sS](?!\w))"
)
_TITLE_TOKEN = re.compile(r"[^\W\d_][\w'’&.-]*")
# the words in capitals after the first, up to the lower-case word after them
_MORE_CAPITALS = r"(?:[ \t]+[A-Z0-9&!?'’.,-]*[A-Z][A-Z0-9&!?'’.,-]*)*[ \t]+"
_CAPITALS_ON_SIGN = re.compile(
    _MORE_CAPITALS + r"(?:([a-z]+)[ \t]+)?"
    r"(?:signs?|banners?|posters?|billboards?|marquees?|lettering|logos?)(?![\w'’-])"
)
# ... or before the verb that wrote them and where, no article before them: "WOMEN painted on the
# door", "MOM tattooed across his knuckles"
_CAPITALS_WRITTEN = re.compile(
    _MORE_CAPITALS + r"(?:painted|spray-painted|written|scrawled|stencil(?:l)?ed|printed|engraved|lettered"
    r"|embroidered|stitched|tattooed|chalked|spelled[ \t]+out)"
    r"[ \t]+(?:on|onto|across|above|over|along|in|into)(?![\w'’-])"
)


def _quotation(text: str, start: int, end: int, line_start: int) -> tuple[int, int] | None:
    """The span of the double quotation on the line around text[start:end], quotes excluded."""
    low = max(line_start, start - _SIGN_WINDOW)  # a quotation is short: a 100 kB prompt stays fast
    before = [i for i in range(low, start) if text[i] in _QUOTES]
    if len(before) % 2 == 0:
        return None
    high = min(len(text), end + _SIGN_WINDOW)
    closing = next((i for i in range(end, high) if text[i] in _QUOTES or text[i] == "\n"), -1)
    if closing < 0 or text[closing] == "\n":
        return None
    return before[-1] + 1, closing


def _single_quotation(text: str, start: int, end: int, line_start: int) -> tuple[int, int] | None:
    """The span of the single quotation on the line around text[start:end], quotes excluded: opened
    by ' or ‘ after no letter, closed by ' or ’ after no space and before no letter, so an
    apostrophe inside it stays one ("'grandma's dumplings' sign")."""
    low = max(line_start, start - _SIGN_WINDOW)
    opening = -1
    for i in range(start - 1, low - 1, -1):
        if text[i] not in _SINGLE_QUOTES:
            continue
        after_letter = i > line_start and text[i - 1].isalnum()
        before_letter = i + 1 < len(text) and text[i + 1].isalnum()
        if after_letter and before_letter:
            continue  # an apostrophe inside a word: "grandma's"
        if after_letter or text[i] == "’":
            return None  # a closing quote or a plural's apostrophe ("the boys' room"): outside
        opening = i
        break
    if opening < 0:
        return None
    high = min(len(text), end + _SIGN_WINDOW)
    for j in range(end, high):
        c = text[j]
        if c == "\n":
            return None
        if c in _SINGLE_QUOTES and not text[j - 1].isspace() and not text[j + 1 : j + 2].isalnum():
            return opening + 1, j
    return None


def _quoted_text(text: str, quoted: tuple[int, int], line_start: int) -> bool:
    """Whether the quotation at `quoted` (quotes excluded) is text written on something rather than
    a person: what it is written on follows within three lower-case words ("'Mr & Mrs' gold cake
    topper", "'gentlemen's haircuts' sign"), or a word that says so, or what it is written on, is
    right before it ("a tombstone that reads 'Beloved Wife and Mother'", "road sign 'Children at
    Play'", "titled 'Portrait of my Father'", "a chalkboard menu outside a cafe: 'Grandpa's Chili'",
    "a cake with 'Happy 80th Grandma'", "album cover, 'Daddy Issues'"), or it names a thing among
    the next three words ("'Queen's Crown' legendary shield", "'Little Miss' vintage teapot on a
    shelf"), or what one wears ('"policewoman" costume', '"girl next door" makeup look'), no
    function word before it, or a thing's name
    after "named" or "called" ("a trawler named 'Miss Kathleen'"; "a girl named 'Emma'" is hers),
    or it follows such a quotation after "and" or a comma ("signs 'Ladies' and 'Gents'"), or it is a
    message: it addresses its reader, greets or dedicates ("'Mom, you're the best'", "'in loving
    memory of Mum'", "'Best Abuela Ever'")."""
    opening, closing = quoted[0] - 1, quoted[1]
    if _WRITTEN_SOON_AFTER.match(text, closing + 1) is not None:
        return True
    if _MESSAGE.search(text, quoted[0], quoted[1]) is not None:
        return True  # a message, not a description: "'Mom, you're the best'", "'in loving memory of Mum'"
    after = _WORDS_AFTER_QUOTE.match(text, closing + 1)
    words = after.group().split() if after is not None else []
    for word in words:
        if is_object_head(word) or word in worn_heads():
            return True  # the name of the thing after it: "'Queen's Crown' legendary shield", '"policewoman" costume'
        if word in FUNCTION_WORDS:
            break
    before = text[max(line_start, opening - 40) : opening]
    if _TEXT_BEFORE_QUOTE.search(before) is not None or _TEXT_BEFORE_COLON.search(before) is not None:
        return True
    named = _NAMED_BEFORE_QUOTE.search(before)
    if named is not None:
        return not is_person_noun(named.group(1).lower()) and named.group(1).lower() not in FUNCTION_WORDS
    chained = _QUOTE_BEFORE_QUOTE.search(before)
    if chained is None:
        return False
    previous_end = max(line_start, opening - 40) + chained.start()
    previous = _quotation(text, previous_end - 1, previous_end - 1, line_start) or _single_quotation(
        text, previous_end - 1, previous_end - 1, line_start
    )
    return previous is not None and previous[1] == previous_end and _quoted_text(text, previous, line_start)


_SINGLE_QUOTES = "'‘’"
# what only a message says: the reader addressed, a greeting or a dedication
_MESSAGE = re.compile(
    r"(?i)(?<![\w-])(?:you|your|you['’]re|merry|congrats|congratulations|thank|thanks|welcome|get well"
    r"|happy[ \t]+(?:birthday|anniversary|holidays|new[ \t]+year|retirement|graduation|[\w]+['’]?s[ \t]+day)"
    r"|in loving memory|rest in peace|best[ \t]+[\w'’]+[ \t]+ever|love you)(?![\w'’-])"
)
_WRITTEN_ON = (
    r"(?:signs?|banners?|toppers?|plaques?|engravings?|inscriptions?|epitaphs?|stickers?|labels?|posters?|menus?"
    r"|neon|lettering|logos?|titles?|captions?|tattoos?|headlines?|slogans?|placards?|billboards?|marquees?"
    r"|signboards?|nameplates?|doormats?|mugs?|t-shirts?|shirts?|onesies?|hoodies?|sweatshirts?|aprons?|totes?"
    r"|caps?|cakes?|cards?|covers?|books?|songs?|albums?"
    r"|items?|brands?|badges?|posts?|tins?|jars?|box|boxes|packs?|packets?|bags?|pins?|magnets?|patch|patches"
    r"|decals?|bottles?|icons?|emojis?|pillows?|keychains?|coasters?"
    r"|bookmarks?|notebooks?|calendars?|postcards?|stamps?|wrappers?|notes?|text)"
)
# a slogan of merchandise, unquoted, before what it is printed on: "world's best grandpa mug", "#1 dad t-shirt"
_SLOGAN_BEFORE = re.compile(
    r"(?i)(?<![\w'’-])(?:(?:the[ \t]+)?world['’]?s[ \t]+(?:best|greatest|okayest|coolest|worst|no\.?[ \t]*1|#1)"
    r"|#1|no\.[ \t]*1)[ \t]+(?:[a-z]+[ \t]+)?$"
)
# what a thing says, in lower case, right after the thing and "that says" ("a t-shirt that says girl
# dad", "a mug reading best mom"): the thing before the verb, then up to four words, in its clause,
# no quotation mark between (`_said_on_thing`)
_THING_BEFORE_SAYS = re.compile(r"(?i)(?<![\w'’-])" + _WRITTEN_ON + r"[ \t]+(?:(?:that|which)[ \t]+)?$")
_WORDS_SAID = re.compile(r"[ \t]*:?[ \t]+(?:[¡¿#@]*\w[\w'’&-]*[ \t]+){0,4}[¡¿#@]*")
# a meme's caption, quoted, told by its opening ("me when ...", "POV: ...", "nobody: ...", "when your
# ...", "mfw ...") or by a meme, a gif or a template named right after it (`in_caption`)
_MEMES = r"(?:memes?|gifs?|templates?|reaction[ \t]+(?:image|pic)s?)"
_MEME_AFTER_QUOTE = re.compile(r"(?:[ \t]+[a-z-]+){0,2}?[ \t]+" + _MEMES + r"(?![\w'’-])")
# ... or before it, a colon ending the words between: 'meme recreated with hamsters: "disaster girl"'
_MEME_BEFORE_QUOTE = re.compile(r"(?<![\w'’-])" + _MEMES + r"(?:[ \t]+[a-z-]+){0,4}[ \t]*:[ \t]*$")
_CAPTION_OPENS = re.compile(
    r"(?i)[ \t]*(?:me[ \t]+(?:when|after|trying|explaining|at)|pov\b|nobody[ \t]*:|when[ \t]+(?:you|your|ur|u|my|the)\b"
    r"|that[ \t]+moment[ \t]+when|mfw|tfw|me[ \t]*:)"
)
_SLOGAN_AFTER = re.compile(r"(?:[ \t]+ever)?[!.]?(?:[ \t]+[a-z-]+)?[ \t]+" + _WRITTEN_ON + r"(?![\w'’-])")
_WRITTEN_SOON_AFTER = re.compile(r"(?:[ \t]+[^\s,;:'\"“”‘’()\[\]{}]+){0,3}?[ \t]+" + _WRITTEN_ON + r"(?![\w'’-])")
_TEXT_BEFORE_QUOTE = re.compile(
    r"(?<![\w'’-])(?:says?|saying|said|reads?|reading|titled|entitled|labell?ed|lettered|inscribed|engraved|printed"
    r"|captioned|spelling|spells|text|words|" + _WRITTEN_ON[3:-1] + r")(?:[ \t]+with)?[ \t]*[:,]?[ \t]*$"
)
# what a text is written on, a few words before a colon that opens it: "chalkboard menu outside a
# cafe: 'Grandpa's Famous Chili'"
_TEXT_BEFORE_COLON = re.compile(r"(?<![\w'’-])" + _WRITTEN_ON + r"(?:[ \t]+[a-z]+){0,4}[ \t]*:[ \t]*$")
# the lower-case words right after a quotation, up to three, the thing it names among them
_WORDS_AFTER_QUOTE = re.compile(r"(?:[ \t]+[a-z][a-z-]*(?![\w'’-])){1,3}")
_NAMED_BEFORE_QUOTE = re.compile(r"(?<![\w'’-])([A-Za-z]+)[ \t]+(?:named|called)[ \t]*$")
_QUOTE_BEFORE_QUOTE = re.compile(r"[\"”'’][ \t]*(?:,|and|&|or)?[ \t]*$")  # '"boy mom" "girl mom"' too


def _in_quoted_title(text: str, start: int, end: int, line_start: int) -> bool:
    """Whether the word at text[start:end] is inside a quoted title in title case, with lower-case
    text around the quotation, in double or single quotes: a name of a shop, book or film ('a bakery
    called "Grandma's Oven"', "a flamingo in a crown, 'Queen of the Lagoon'",
    'barbershop logo "The Gentleman's Cut"', 'a woman reading "Little Women"'), not a person in the
    picture. Two words or more, the first capitalised or an article ('"the Boy Who Lived" book'),
    one capitalised and every other capitalised (not in capitals throughout) or a function word;
    or one such word alone where what it is written as follows ('"Jolene" in pink neon script')."""
    quoted = _quotation(text, start, end, line_start) or _single_quotation(text, start, end, line_start)
    if quoted is None:
        return False
    words = _TITLE_TOKEN.findall(text, *quoted)
    if not words or not (words[0][:1].isupper() or words[0] in ARTICLES):
        return False
    if len(words) == 1 and _WRITTEN_AFTER_QUOTE.match(text, quoted[1] + 1) is None:
        return False  # one word alone is a title where what it is written as follows: '"Jolene" in neon script'
    if not any(written_in_title_case(w) for w in words):
        return False
    if not all(w in FUNCTION_WORDS or written_in_title_case(w) for w in words):
        return False  # a word in capitals throughout may be a slot that renders in lower case ('" GIRLS Mister "')
    around = text[max(line_start, quoted[0] - _SIGN_WINDOW) : quoted[0]] + text[quoted[1] : quoted[1] + _SIGN_WINDOW]
    return any(c.islower() for c in around)


# what a quoted word is written as or on, right after the quotation
_WRITTEN_AFTER_QUOTE = re.compile(
    r"[ \t]+(?:in[ \t]+(?:[a-z-]+[ \t]+){0,3}(?:script|letters|lettering|font|type|neon|calligraphy)"
    r"|(?:song|single|record|album|vinyl|book|novel|poster|sign|logo|title|text|lettering|tattoo|banner"
    r"|engraving|inscription|epitaph|plaque|caption|written|engraved|carved|embroidered|stamped|piped|painted"
    r"|printed|etched|scrawled|stitched|spelled))(?![\w'’-])"
)
_LOWER_WORD_BEFORE = re.compile(r"(?<![\w'’-])([a-z]+)[ \t]+$")
_ARTICLE_BEFORE = re.compile(r"(?<![\w'’-])(?:an?|the)[ \t]+$")
_TAG_START = re.compile(r"(?:^|[,;\n(\[{])[ \t]*$")
_BRAND = re.compile(r"\.?(?:[ \t]+[A-Z][\w'’-]*){1,3}")
# the word "brand" right after the capitalised word, then what follows it if a word does
_BRAND_WORD = re.compile(r"[ \t]+brand(?:s|ed)?(?![\w'’-])(?:[ \t]+([a-z]+))?")
_MAX_BRAND_NOUNS = 4
# a capitalised person word alone before the thing is a brand where two words or more name the
# thing ("Abuelita hot chocolate tin", "Mutti tomato passata bottle"), not one ("Grandma kitchen")
_MIN_BARE_BRAND_NOUNS = 2


def before_brand(taxonomy: Taxonomy, text: str, folded: str, start: int, end: int) -> bool:
    """Whether the capitalised title or person noun at text[start:end] opens a brand or proper name
    that modifies a thing: an article, a lower-case word that is no function word ("vintage") or
    the start of the prompt or a tag ("Mr. Potato Head parts scattered", "Ms. Pac-Man arcade
    cabinet"), the title, one to three capitalised words, then up to four lower-case words ending
    in an object head where the phrase ends ("a Mister Softee ice cream truck parked on ...", "the
    Mr. Clean bottle"), or no capitalised word and two to four such words ("Abuelita hot chocolate
    tin"), or the word "brand" ("Geisha brand canned crab"); not a picture, statue or doll
    (`depictions`: "a Mrs. Smith photo"); no taxonomy word among them, since a slot renders in its
    own case. A first name is left to the name rules. Reads how the words are written and the thing
    after them, never the value."""
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    if entry is None or entry.is_pronoun or "first_name" in entry.categories or not text[start : start + 1].isupper():
        return False
    if _ARTICLE_BEFORE.search(folded, max(0, start - 8), start) is None and not _TAG_START.search(text, 0, start):
        before = _LOWER_WORD_BEFORE.search(text, max(0, start - 30), start)
        if before is None or before.group(1) in FUNCTION_WORDS:
            return False  # an article, or a word that describes the thing ("vintage Mr. Coffee machine")
    found = _BRAND.match(text, end)
    if found is None and ("adjective" in entry.family or taxonomy.attributes[entry.attribute].name == "ethnicity"):
        return False  # a word of a people is no brand alone ("a Brazilian football fan")
    said = _BRAND_WORD.match(folded, end) if found is None else None
    if said is not None:
        return said.group(1) is None or not is_person_noun(said.group(1))  # not "Mom brand ambassador"
    cursor = end if found is None else found.end()
    words: list[str] = []
    while (noun := _NEXT_WORD.match(folded, cursor)) is not None and len(words) <= _MAX_BRAND_NOUNS:
        word = noun.group(1)
        if word in FUNCTION_WORDS or word.endswith(("ing", "ed")):
            break
        words.append(word)
        cursor = noun.end()
    if len(words) < (1 if found else _MIN_BARE_BRAND_NOUNS) or len(words) > _MAX_BRAND_NOUNS:
        return False
    if words[-1] not in object_heads():
        return False
    if words[-1] in _depictions():
        return False  # "a Mrs. Smith photo", "the Queen Victoria statue": they show the person
    if taxonomy.matcher.finditer(folded, end, cursor):
        return False  # a slot there renders in other cases and words ("The WOMEN MAN photo")
    return _phrase_ends(folded, cursor)


# a run of capitalised words, one space or tab apart ("Queen Mary", "Green Man", "Three Sisters")
# (a word in capitals throughout is none: a slot there renders in lower case)
_TITLE_WORD = r"[A-Z](?:[a-z'’&-][\w'’&-]*)?(?![\w'’&-])"
# ... with "of", "of the", "in the" or "on the" between two of them ("Maid of the Mist")
_RUN_LINK = r"(?:[ \t]+(?:of|in|on)(?:[ \t]+the)?)?"
_RUN_LINKS = frozenset(("of", "in", "on", "the"))
_CAPITALISED_RUN = re.compile(rf"(?<![\w'’&-]){_TITLE_WORD}(?:{_RUN_LINK}[ \t]+{_TITLE_WORD})*")
_WORD_BEFORE = re.compile(r"(?<![\w'’-])([a-z]+)[ \t]+(?:(?:named|called|christened|dubbed)[ \t]+(?:The[ \t]+)?)?$")
# "The" opening a name given right before it: "a tavern called The Drunken Maiden"
_NAMED_THE = re.compile(r"(?<![\w'’-])(?:named|called|christened|dubbed)[ \t]+The[ \t]+$")
_MAX_NAME_WORDS = 5
_SHIP_PREFIX = re.compile(r"(?<![\w'’-])(?:RMS|HMS|USS|SS|MV|MS|HMAS|HMCS|HMNZS|USNS|HMY|RV)[ \t]+$")
# a number right after a proper name, not an age: "the Queen Mary 2 leaving Southampton"
_NUMBER_AFTER = re.compile(r"[ \t]+\d+(?![\w'’./:-]|[ \t]*(?:years?|yrs?|yo|y/o|months?|,))", re.IGNORECASE)
_NAME_WINDOW = 60
_LAST_TITLE_WORD = re.compile(r"[^\W\d_][\w'’&-]*$")


def _capitalised_run(
    taxonomy: Taxonomy, text: str, folded: str, start: int, end: int | None = None
) -> tuple[int, int] | None:
    """The run of two to five capitalised words that holds the word at text[start]; None for none,
    a longer or shorter one, or one holding a function word ("Of", "The": only a prompt in title
    case writes them so), save a "The" opening a name given right before it ("called The Drunken
    Maiden": the run starts after it). A taxonomy word is read as every candidate writes it (`_as_rendered`):
    a run never depends on the value a slot holds. `end`: where the slot at `start` ends, when
    detection read it longer than a form ("Dudes and ladiesa", a typo joined into a pair)."""
    low, high = max(0, start - _NAME_WINDOW), min(len(text), start + _NAME_WINDOW)
    shape, mixed, slots = _as_rendered(taxonomy, text, folded, low, high)
    if end is not None and text[start : start + 1].isupper() and end <= high:
        a, b = start - low, end - low
        slots = [(x, y) for x, y in slots if y <= a or x >= b] + [(a, b)]
        shape = shape[:a] + " ".join(w[:1].upper() + w[1:] for w in shape[a:b].split(" ")) + shape[b:]
    for found in _CAPITALISED_RUN.finditer(shape):
        if found.group().startswith("The ") and start - low >= found.start() + 4:
            named = _CAPITALISED_RUN.match(shape, found.start() + 4)  # "called The Drunken Maiden"
            if named is not None and _NAMED_THE.search(shape, 0, named.start()) is not None:
                found = named
        if found.start() <= start - low < found.end():
            # a slot counts as one word, whatever its form: "Lasses And Boys" renders "Girls" too,
            # and a function word inside it is the form's, not the run's
            inside = [(a - found.start(), b - found.start()) for a, b in slots]
            fixed = [
                w
                for w in re.finditer(r"\S+", found.group())
                if not any(a <= w.start() < b for a, b in inside) and w.group() not in _RUN_LINKS
            ]
            units = len(fixed) + sum(1 for a, b in inside if a < len(found.group()) and b > 0)
            if not 2 <= units <= _MAX_NAME_WORDS or any(w.group().lower() in FUNCTION_WORDS for w in fixed):
                return None
            if any(a <= found.end() and b >= found.start() - 1 for a, b in mixed):
                return None  # a word capitalised for some values only, in or next to the run
            return low + found.start(), low + found.end()
    return None


def _as_rendered(
    taxonomy: Taxonomy, text: str, folded: str, low: int, high: int
) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """text[low:high] with each taxonomy word in the case every candidate writes it in (a slot
    renders other words, `_rendered_case`), the spans (relative to `low`) of words whose case
    depends on the value ("white" / "African"), and the spans of every taxonomy word."""
    chars, mixed, slots = list(text[low:high]), [], []
    for found in taxonomy.matcher.finditer(folded, low, high):
        entry = taxonomy.lexicon.get(surface_key(found.group()))
        if entry is None:
            continue
        a, b = found.start() - low, found.end() - low
        slots.append((a, b))
        word = text[found.start() : found.end()]
        case = _rendered_case(taxonomy, entry.attribute, entry.family, text, folded, found.start(), found.end())
        if case is None:
            mixed.append((a, b))
        elif case:
            chars[a:b] = " ".join(w[:1].upper() + w[1:].lower() for w in word.split(" "))
        else:
            chars[a:b] = word.lower()
    return "".join(chars), mixed, slots


_NEXT_START = re.compile(r"\.?\s*")
_NEXT_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")


def _rendered_case(
    taxonomy: Taxonomy, attribute: int, family: frozenset[str], text: str, folded: str, start: int, end: int
) -> bool | None:
    """Whether the taxonomy word at text[start:end] starts with a capital in every candidate (True),
    in none (False), or in some (None), as `detect` renders it: a first name as written (one in
    lower case is no slot); a category whose every form is capitalised so ("afghans" renders
    "Afghans"); one whose none is with the capital the user wrote in title case, or in any case at
    a sentence's start; a title before a capitalised word capitalised ("LADY Anne" renders "Lady
    Anne"); a category capitalised for some values only ("African" / "white") by the value."""
    word = text[start:end]
    if "first_name" in family:
        return word[:1].isupper()
    cases = _family_cases(taxonomy.attributes[attribute], family)
    if None in cases:
        return None
    if cases == {True}:
        return True
    written_title = written_in_title_case(word)
    before = text[:start].rstrip()
    sentence_start = not before or before[-1] in SENTENCE_END
    if cases == {False}:
        return word[:1].isupper() if sentence_start else written_title
    if written_title or (word[:1].isupper() and sentence_start):
        return True
    return word[:1].isupper() and _title_follows(taxonomy, text, folded, end)


def _title_follows(taxonomy: Taxonomy, text: str, folded: str, end: int) -> bool:
    """Whether a capitalised word follows, as `detect` reads a title before a name: a taxonomy word
    whose every form is capitalised (a first name, in any case), else a capitalised word of two
    letters or more that is no function word."""
    k = _NEXT_START.match(text, end)
    cursor = k.end() if k is not None else end
    found = taxonomy.matcher.finditer(folded, cursor, min(len(folded), cursor + 40))
    if found and found[0].start() == cursor:
        entry = taxonomy.lexicon.get(surface_key(found[0].group()))
        if entry is not None:
            return _family_cases(taxonomy.attributes[entry.attribute], entry.family) == {True}
    token = _NEXT_TOKEN.match(text, cursor)
    if token is None or len(token.group()) < 2:
        return False
    return token.group()[0].isupper() and token.group().lower() not in FUNCTION_WORDS


@functools.lru_cache(maxsize=4096)
def _family_cases(spec: AttributeSpec, family: frozenset[str]) -> frozenset[bool | None]:
    return frozenset(_canonical_case(spec, c) for c in family)


def _canonical_case(spec: AttributeSpec, category: str) -> bool | None:
    """Whether every value's canonical form in `category` is capitalised (True), none is (False),
    or some are (None: "African" / "white")."""
    firsts = {spec.canonical(v, category)[:1] for v in spec.values_for((category,))}
    letters = {f for f in firsts if f.upper() != f.lower()}
    if all(f.isupper() for f in letters):
        return bool(letters)
    return False if not any(f.isupper() for f in letters) else None


def _thing_noun(word: str) -> bool:
    return (word in object_heads() or word in _owned_heads()) and not is_depiction(word) and not is_person_noun(word)


_SAYS_ANYWHERE = re.compile(r"(?i)(?:says|reads|saying|reading)(?![\w'’-])")
_SLOGAN_ANYWHERE = re.compile(r"(?i)world['’]?s|#1|no\.[ \t]*1")
_CAPTION_ANYWHERE = re.compile(r"(?i)meme|gif|template|reaction|pov|nobody|me[ \t]*:|when|mfw|tfw|moment")


def _said_on_thing(text: str, start: int, line_start: int) -> bool:
    """Whether the word at text[start] is among the up to four words that a thing says or reads,
    right after it, no function word between ("a t-shirt that says girl dad"; "a sign that says
    hello to a MAN" speaks of a man): the last such verb before the word, on its line, a thing it
    is written on right before the verb."""
    starts, ends = _spans(_SAYS_ANYWHERE, text)
    at = bisect.bisect_right(ends, start) - 1
    if at < 0 or starts[at] < max(line_start, start - _SIGN_WINDOW):
        return False
    said = _WORDS_SAID.fullmatch(text, ends[at], start)
    if said is None or any(word.lower() in FUNCTION_WORDS for word in said.group().split()):
        return False  # "a sign that says hello to a MAN": a person the words speak of
    return _THING_BEFORE_SAYS.search(text, max(line_start, starts[at] - 40), starts[at]) is not None


@functools.lru_cache(maxsize=32)
def _holds(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` occurs in `text` at all: read once per text, so that a rule needing it
    costs nothing per word of a long prompt without it."""
    return pattern.search(text) is not None


def in_caption(taxonomy: Taxonomy, text: str, folded: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] is in a meme's caption, quoted ('"me when the mailman
    arrives"', '"mom said it's my turn on the xbox" meme, two cats fighting', 'meme recreated with
    hamsters: "disaster girl"'), that names no one the prompt shows: no word of the taxonomy
    outside the quotation shares a category with it. A caption that names a person drawn
    ("'nobody: / my aunt at weddings:' meme, an aunt dancing") is read as before, its words varied.
    Reads categories, never a value."""
    if not _holds(_CAPTION_ANYWHERE, text):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    quoted = _quotation(text, start, end, line_start) or _single_quotation(text, start, end, line_start)
    if quoted is None:
        return False
    if (
        _CAPTION_OPENS.match(text, quoted[0]) is None
        and _MEME_AFTER_QUOTE.match(text, quoted[1] + 1) is None
        and _MEME_BEFORE_QUOTE.search(folded, max(line_start, quoted[0] - 1 - _NAME_WINDOW), quoted[0] - 1) is None
    ):
        return False
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    if entry is None:
        return False
    for found in taxonomy.matcher.finditer(folded):
        if quoted[0] <= found.start() < quoted[1]:
            continue
        other = taxonomy.lexicon.get(surface_key(found.group()))
        if other is not None and other.attribute == entry.attribute and other.family & entry.family:
            return False  # the caption names one the picture shows
    return True


# words a work's title holds in lower case between capitalised ones ("Sons and Lovers")
_WORK_TITLE_LINKS = frozenset(("and", "of", "the", "a", "an", "in", "on", "to", "with", "for", "at", "from", "&"))
_WORK_TITLE_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|&")
# what names a work right before its title, or right after it
_WORK_BEFORE = re.compile(
    r"(?<![\w'’-])(?:cop(?:y|ies)|editions?|paperbacks?|hardcovers?|volumes?|reading|reads)[ \t]+(?:of[ \t]+)?$"
)
_WORK_AFTER = re.compile(
    r"[ \t]+(?:[a-z]+[ \t]+)?(?:books?|novels?|paperbacks?|hardcovers?|themed|audiobooks?|box[ \t]+sets?)(?![\w'’-])"
)


def in_work_title(text: str, folded: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] lies in the title of a book or a work: a run of two or
    more capitalised words, with the lower-case words a title links them by, right after "a copy
    of", "a paperback of", "reading" ("a dog-eared copy of Of Mice and Men", "a worn copy of Little
    Women") or before "book", "novel", "themed" in lower case ("The Boy Who Cried Wolf picture book",
    "a Little Prince themed carousel"; a prompt in title case throughout holds no such run)."""
    if not text[start : start + 1].isupper():
        return False  # a title's words are capitalised: "a copy of Old Yeller women" names women
    tokens = list(_WORK_TITLE_TOKEN.finditer(text, max(0, start - _NAME_WINDOW), min(len(text), end + _NAME_WINDOW)))
    at = next((i for i, t in enumerate(tokens) if t.start() <= start < t.end()), None)
    if at is None:
        return False

    def linked(i: int, j: int) -> bool:  # tokens i and j (= i + 1) are neighbours in one run
        return text[tokens[i].end() : tokens[j].start()] in (" ", "\t")

    def member(i: int) -> bool:
        word = tokens[i].group()
        return word[:1].isupper() or word in _WORK_TITLE_LINKS

    first = last = at
    while first > 0 and linked(first - 1, first) and member(first - 1):
        first -= 1
    while last + 1 < len(tokens) and linked(last, last + 1) and member(last + 1):
        last += 1
    while first < at and not tokens[first].group()[:1].isupper():
        first += 1  # the run starts and ends with a capitalised word
    while last > at and not tokens[last].group()[:1].isupper():
        last -= 1
    run_start, run_end = tokens[first].start(), tokens[last].end()
    if sum(tokens[i].group()[:1].isupper() for i in range(first, last + 1)) < 2:
        return False
    return (
        _WORK_BEFORE.search(folded, max(0, run_start - _NAME_WINDOW), run_start) is not None
        or _WORK_AFTER.match(text, run_end) is not None
    )


def in_proper_name(taxonomy: Taxonomy, text: str, folded: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end], capitalised, lies in the proper name of a thing: a run of
    two to five capitalised words, next to lower-case text, right after a thing ("the yacht Lady
    Anne", "a racehorse named Lady Grace"), ending in one ("the Queen Victoria Station at night")
    or right before one, the phrase holding no picture of
    anyone ("the Green Man pub sign", "the Three Sisters rock formation"; "a tavern called The
    Drunken Maiden", where "The" opens the name given; not "a Queen Victoria
    bronze statue"), after a ship's prefix ("RMS Queen Mary") or before a number ("the Queen Mary
    2 leaving Southampton"; not an age: "Emma Stone, 25", "Emma Stone 25 years old"). Things are
    WordNet's (`object_heads`, `owned_heads`). A taxonomy word in the run is read by its capital,
    never its value; none may sit in the lower-case words around it, since a slot there renders
    other words."""
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    if entry is not None and not _rendered_case(taxonomy, entry.attribute, entry.family, text, folded, start, end):
        return False  # in lower case in every candidate, or in some only: in no proper name
    run = _capitalised_run(taxonomy, text, folded, start, end)
    if run is None:
        return False
    run_start, run_end = run
    if _SHIP_PREFIX.search(text, max(0, run_start - _NAME_WINDOW), run_start):
        return True  # a ship's name ("RMS Queen Mary", "HMS Prince Albert")
    number = _NUMBER_AFTER.match(text, run_end)
    if number is not None:
        # one numbered ("the Queen Mary 2"), where the number is no age a slot renders ("0 YEAR OLD")
        slots = taxonomy.matcher.finditer(folded, run_end, min(len(folded), number.end() + _NAME_WINDOW))
        return not any(found.start() <= number.end() for found in slots)
    before = _WORD_BEFORE.search(text, max(0, run_start - _NAME_WINDOW), run_start)
    if before is not None and _thing_noun(before.group(1)):
        return not taxonomy.matcher.finditer(folded, before.start(1), run_start)
    last = _LAST_TITLE_WORD.search(text, run_start, run_end)
    if (
        last is not None
        and _thing_noun(last.group().lower())
        and not taxonomy.matcher.finditer(folded, last.start(), run_end)
        and any(
            "first_name" not in entry.categories
            for found in taxonomy.matcher.finditer(folded, run_start, run_end)
            if (entry := taxonomy.lexicon.get(surface_key(found.group()))) is not None
        )
    ):
        return True  # a title's run that ends in the thing it names: "the Queen Victoria Station", not "Emma Stone"
    cursor = run_end
    after: list[str] = []
    while (noun := _NEXT_WORD.match(folded, cursor)) is not None and len(after) <= _MAX_BRAND_NOUNS:
        if noun.group(1) in FUNCTION_WORDS or noun.group(1).endswith(("ing", "ed")):
            break
        after.append(noun.group(1))
        cursor = noun.end()
    if not after or len(after) > _MAX_BRAND_NOUNS or not (_thing_noun(after[0]) or _thing_noun(after[-1])):
        return False  # a thing, or a compound whose head is one ("the Painted Ladies row houses")
    if any(is_depiction(word) or is_person_noun(word) for word in after):
        return False  # "a Queen Victoria bronze statue", "the Old Man fishing boat captain"
    return not taxonomy.matcher.finditer(folded, run_end, cursor) and _phrase_ends(folded, cursor)


_CAPITALISED_AFTER = re.compile(r"[ \t]+[A-Z][\w'’-]*")
_POSSESSIVE_NAME = re.compile(r"(?:['’]s|s['’])[ \t]+([A-Z][a-z]+)(?![\w-]|['’]\w)")  # a closing quote may follow


def in_possessive_name(
    taxonomy: Taxonomy, text: str, folded: str, start: int, end: int, categories: frozenset[str]
) -> bool:
    """Whether the person noun at text[start:end], capitalised in every candidate, is the possessive
    opening the proper name of a place or thing, next to lower-case text: "Dead Woman's Pass on the
    Inca Trail", "Bachelor's Grove cemetery", "Lover's Leap"; the word after it is capitalised
    and names no person, body part or picture ("the Queen's Guard", "an Old Man's Face" stay
    persons), and no first name ("Emma's Kitchen" keeps Emma varied)."""
    if "first_name" in categories or any(c.startswith("tag_") for c in categories):
        return False
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    if entry is None or entry.is_pronoun:
        return False
    if _rendered_case(taxonomy, entry.attribute, entry.family, text, folded, start, end) is not True:
        return False
    found = _POSSESSIVE_NAME.match(text, end)
    if found is None:
        return False
    head = found.group(1).lower()
    if head in taxonomy.lexicon or is_person_noun(head):
        return False
    if head in _body_heads() or is_depiction(head) or is_likeness(head):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    around = text[max(line_start, start - _SIGN_WINDOW) : start] + text[found.end() : found.end() + _SIGN_WINDOW]
    return any(c.islower() for c in around) and not all(
        written_in_title_case(w) or w in FUNCTION_WORDS for w in _TITLE_TOKEN.findall(around)
    )


_NAME_BEFORE_NOUN = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ \t]+$")
_SINGLE_NAMED = frozenset({"noun_singular", "noun_child_singular"})
_PLAIN_NAMED = _SINGLE_NAMED | {"noun_plural", "noun_child_plural"}


def _of_gender(taxonomy: Taxonomy, folded: str, start: int, end: int) -> bool:
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    return entry is not None and taxonomy.attributes[entry.attribute].name == "gender"


def character_name(
    taxonomy: Taxonomy, text: str, folded: str, start: int, end: int, categories: frozenset[str]
) -> bool:
    """Whether a plain noun of a gender written capitalised right after a capitalised noun that no
    list holds names a character, a band or a thing ("a Wonder Woman action figure", "the Iron Man
    suit", "the Tin Man", "Spice Girls reunion tour poster", "Beach Boys album cover"; a team: "a
    Dallas Cowboys fan", "Sacramento Kings jersey"; a plural not
    after a word in -ing or -ed: "Working Women in a factory" are persons), in a text that is not
    written in title case throughout ("Portrait Of A Woman") and not after a word said of a person
    ("Beautiful Woman in red", "Young Woman")."""
    plural = any(c.endswith("_plural") for c in categories)
    if not categories & _SINGLE_NAMED and not (plural and _of_gender(taxonomy, folded, start, end)):
        return False  # a plural of a gender only: "Spice Girls", "Dallas Cowboys", not "young East Germans"
    said = text[start:end]
    if not (said[:1].isupper() and said[1:].islower()):
        return False
    before = _NAME_BEFORE_NOUN.search(text, max(0, start - 30), start)
    if before is None:
        return False
    word = before.group(1).lower()
    if surface_key(word) in taxonomy.lexicon or word in FUNCTION_WORDS or word in TRANSPARENT or word in not_nouns():
        return False
    if not categories & _SINGLE_NAMED and word.endswith(("ing", "ed")):
        return False  # "Working Women in a factory": persons said to work; "Spice Girls", "Beach Boys" a band
    line_start = text.rfind("\n", 0, start) + 1
    around = text[max(line_start, start - _SIGN_WINDOW) : end + _SIGN_WINDOW]
    return not all(written_in_title_case(w) or w in FUNCTION_WORDS for w in _TITLE_TOKEN.findall(around))


def named_item(taxonomy: Taxonomy, text: str, folded: str, start: int, end: int) -> bool:
    """Whether the first name at text[start:end] opens a thing called by a person's full name: "a"
    or "an" right before it, one capitalised word after it and the phrase ending there ("a Shirley
    Temple and a Tom Collins on the bar", "order an Arnold Palmer"); a person is hardly written "a
    Jane Smith", and "a Taylor Swift fan" goes on to the noun it modifies."""
    if _SINGULAR_ARTICLE.search(folded, max(0, start - 4), start) is None:
        return False
    after = _CAPITALISED_AFTER.match(text, end)
    if after is None or taxonomy.lexicon.get(surface_key(folded[after.start() : after.end()].strip())):
        return False  # a word of the taxonomy there may be a slot, rendered in another case ("a Alica SHE")
    return _phrase_ends(folded, after.end())


@functools.cache
def object_heads() -> frozenset[str]:
    """Nouns that, right after a person noun and ending its phrase, make it a modifier of a thing:
    animals, plants, artifacts, food ("a baby koala", "a mother giraffe"), from WordNet
    (`data/binding_wordnet.json`, built by tools/build_binding_data.py)."""
    return frozenset(_wordnet()["object_heads"])


@functools.cache
def _compound_activities() -> frozenset[str]:
    """WordNet's two-word activities in -ing ("square dancing", "ice skating", "tap dancing")."""
    return frozenset(_wordnet()["compound_activities"])


@functools.cache
def _also_verbs() -> frozenset[str]:
    return frozenset(_wordnet()["also_verbs"])


_NEXT_WORD = re.compile(r"[ \t]+([a-z]+)")
_MID_ACTION = re.compile(r"[ \t]+mid-[a-z]")
_TO_AFTER = re.compile(r"[ \t]+to(?![\w'’-])")
_AFTER_HEAD = re.compile(r"[ \t]*(?:$|[^\w\s'’-])|[ \t\n]+([a-z]+)\b(?!['’-])|\n")


def _phrase_ends(folded: str, cursor: int) -> bool:
    """Whether a noun phrase ends at folded[cursor]: punctuation, the end, a function word or a
    participle follows."""
    after = _AFTER_HEAD.match(folded, cursor)
    if after is None:
        return _MID_ACTION.match(folded, cursor) is not None  # "a Jack Russell terrier mid-jump"
    word = after.group(1)
    if word == "next":  # "next to" is a preposition of two words
        return _TO_AFTER.match(folded, after.end()) is not None
    return word is None or word in FUNCTION_WORDS or word.endswith(("ing", "ed"))


_THIRD_PERSON = re.compile(r"[^sui]s$")


# a verb whose first object is the person given the second, and that person's possessive
_GIVING_VERBS = "|".join(
    f"{stem}(?:s|es|ing)?"
    for stem in (
        *("teach", "show", "hand", "read", "buy", "bring", "pass"),
        *("offer", "serve", "feed", "tell", "send", "pour"),
    )
)
_GIVEN_BEFORE = re.compile(
    rf"(?<![\w'’-])(?:{_GIVING_VERBS}|giv(?:e|es|ing)|taught|showed|handed|bought|brought|told|sent|fed)"
    r"[ \t]+(?:his|her|their|my|your|our)[ \t]+$"
)


def given_to(folded: str, start: int) -> bool:
    """Whether the person noun at folded[start] follows a possessive after a verb of giving or
    teaching ("teaching his granddaughter chess", "reading her son a story"): that person receives
    the thing named after them and is no modifier of it."""
    return _GIVEN_BEFORE.search(folded, max(0, start - 32), start) is not None


def before_object(taxonomy: Taxonomy, folded: str, start: int, end: int, surface: str = "", text: str = "") -> bool:
    """Whether the person noun at folded[start:end] modifies the thing named right after it ("a baby
    koala on a branch", "a mother giraffe at dawn"): the next word is an object head
    (`object_heads`), or what a person wears after a role or kin word (`_worn_after_role`: "a maid
    apron"), and ends the phrase (punctuation, the end, a function word or a participle
    follows), so "a woman guitar player" and "a girl's doll" stay a person. `surface`: the form
    read there when it is not the text itself (a typo, "womn"), so it is bound as its form is."""
    entry = taxonomy.lexicon.get(surface_key(surface or folded[start:end]))
    rules = binding()
    if entry is None or entry.is_pronoun or any(rules.rule(c) not in (ALWAYS, TITLE) for c in entry.categories):
        return False
    if any(c.startswith("tag_") for c in entry.categories):
        return False  # a booru tag ("1girl", "2girls") is a person whatever follows it
    head = _NEXT_WORD.match(folded, end)
    if head is None or surface_key(head.group(1)) in taxonomy.lexicon:
        return False  # a name that looks like a plural is none ("nonno James": not "jams")
    # a capitalised title and name ("a Mister Rogers doll") is a likeness of someone named; a count
    # ("a two grooms cake topper") makes it a couple's own
    named = bool(text) and text[start : start + 1].isupper() and _CAPITALISED_AFTER.match(text, end) is not None
    counted = _COUNTED_BEFORE.search(folded, max(0, start - 12), start) is not None
    likeness_end = None if named or counted else _likeness_run(folded, end)
    if likeness_end is not None:
        # "a cowboy cake topper", "a nurse bobblehead", "a baby shark plush toy": the likeness, and
        # any things it makes, end the phrase
        return _phrase_ends(folded, _things_after(taxonomy, folded, likeness_end)[0])
    if (
        not is_object_head(head.group(1))
        and not _worn_after_role(taxonomy, entry, folded, head, surface or folded[start:end])
        and not _child_thing(taxonomy, entry, head.group(1))
    ):
        return False
    if is_person_noun(head.group(1)) and not is_likeness(head.group(1)):
        return False  # a person noun too: "a woman fan", "a woman climber", "baby twins"
    if _THIRD_PERSON.search(head.group(1)) and head.group(1) in object_heads() and not _plural(entry):
        return False  # a verb after its subject: "my daughter eats a cannoli", "a woman falls" (not "a baby bus")
    if is_picture(head.group(1)):
        return False  # a picture shows the person: "old man sketch", "anime girl art"
    if given_to(folded, start):
        return False  # "teaching his granddaughter chess": the thing is given to the person
    if _GREETED_BEFORE.search(folded, max(0, start - 48), start):
        return False  # "Happy 70th Mum card": the card greets her
    if head.group(1) in _also_verbs() and _plural(entry):
        return False  # "women fish in the river", "girls bag the shopping": a verb after a plural
    if _plural(entry) and POSSESSIVE_BEFORE.search(folded, max(0, start - 8), start):
        return False  # "my dads shirt": "my dad's", an owner (`owns_thing`), not a kind of shirt
    if _plural(entry) and PARTICLE.match(folded, head.end()):
        return False  # "dads suit up for the big game": a verb and its particle
    if _activity_after(folded, head.group(1), head.end()):
        return False  # "a grandmother square dancing": the person does the activity
    cursor, _ = _things_after(taxonomy, folded, head.end())  # "a queen conch shell", "a mother dragon egg"
    if does_activity(entry.categories, folded, cursor):
        return False  # "a woman ice skating", "a man rock climbing": the thing is the activity's
    if pair_pursuit(folded, start, cursor):
        return False  # "father and daughter duck hunting": the pair's pursuit
    return _phrase_ends(folded, cursor)


# kin ending an idiom ("big brother") and doing something (a participle, or one hyphened), or
# after a possessive determiner ("her big brother"), is someone's kin
_KIN = frozenset({"sibling", "sibling_plural", "parent", "parent_plural", "grandparent", "grandparent_plural"})
_KIN_DOING = re.compile(r"[ \t]+(?:[a-z]+-)?[a-z]{3,}ing(?![\w'’-])")
# a possessive determiner right before: "my nan", "his ma", "their boys' bikes"
POSSESSIVE_BEFORE = re.compile(rf"(?<![\w'’-])(?:{_POSSESSIVES})[ \t]*$")
# a greeting that addresses the person right after it ("Happy 70th Mum card", "happy birthday
# grandpa banner", "happy mother's day mom mug"): someone the card or gift is for, by name
_GREETED_BEFORE = re.compile(
    r"(?<![\w'’-])(?<!\ba[ \t])(?<!\ban[ \t])(?<!\bthe[ \t])(?<!\bso[ \t])(?<!\bvery[ \t])happy[ \t]+"
    r"(?:\d+(?:st|nd|rd|th)[ \t]+|[a-z]+(?:['’]s)?[ \t]+day[ \t]+|"
    r"(?:birthday|bday|anniversary|retirement|graduation|christmas|easter|eid|diwali|new[ \t]+year)[ \t]+)+$"
)
_COUNTED_BEFORE = re.compile(r"(?<![\w'’-])(?:\d+|two|three|four|five|six|seven|eight|nine|ten)[ \t]+$")
_LIKENESS_RUN = re.compile(r"(?:[ \t]+[a-z][a-z-]*(?![\w'’]))")
_MAX_LIKENESS_RUN = 3


def _likeness_run(folded: str, end: int) -> int | None:
    """Where the longest run of up to three nouns after folded[end] that ends in a likeness
    (`_likenesses`, one word or the last two: "cake topper", "wax figure", "bobblehead") ends, the
    run stopping before a function word, a participle or a person noun that is no likeness ("a
    cowboy cake topper", "a nurse bobblehead"; not "a woman holding a doll"); None if none."""
    cursor, words, last = end, list[str](), None
    while len(words) < _MAX_LIKENESS_RUN and (found := _LIKENESS_RUN.match(folded, cursor)) is not None:
        word = found.group().strip()
        pair = " ".join([*words[-1:], word])  # "wax figure": a likeness, though "figure" names persons too
        if word in FUNCTION_WORDS or word.endswith(("ing", "ed")):
            break
        if is_person_noun(word) and not is_likeness(word) and pair not in _likenesses():
            break
        words.append(word)
        cursor = found.end()
        if word in _likenesses() or " ".join(words[-2:]) in _likenesses():
            last = cursor  # the longest run: "a cowboy wax figure", not "a cowboy wax"
    return last


_NEXT_TOKEN = re.compile(r"\.?[ \t]+([A-Za-z][\w'’-]*)")
_MAX_NAME_RUN = 3


def named_award(text: str, start: int, end: int) -> bool:
    """Whether the capitalised name, title or kin word at text[start:end], with up to three
    capitalised words after it, names an award (`binding.json`, ``awards``): "the Vince Lombardi
    Trophy", "Lady Byng Memorial Trophy", "Mr. Olympia trophy", "the Grandma Moses Award". Reads
    how the words are written, never a value."""
    if not text[start : start + 1].isupper():
        return False
    cursor = end
    for _ in range(_MAX_NAME_RUN + 1):
        found = _NEXT_TOKEN.match(text, cursor)
        if found is None:
            return False
        word = found.group(1)
        if word.lower() in binding().awards:
            return True
        if not word[:1].isupper():
            return False
        cursor = found.end()
    return False


# what opens a place's name of two words: the start, "the" or a capitalised word ("Queen Victoria")
_PLACE_NAME_OPENS = re.compile(r"(?:^|(?<![\w'’-])(?:[Tt]he|[A-Z][\w'’-]*\.?)[ \t]+)$")


def named_place(text: str, start: int, end: int) -> bool:
    """Whether the capitalised name, title or kin word at text[start:end], with up to three
    capitalised words after it, opens the proper name of a place that ends in a capitalised word of
    places (`binding.json`, ``places``): "Queen Victoria Building interior", "the King Edward
    Hotel", "Mother Teresa Hospital", "Grandfather Mountain". A function word or a word in -ing or
    -ed between ends the name ("Old Man Walking In The Park"), a word in -ing after it makes the
    words a person's ("Uncle Jack Tower smiling"), a name right before the word of places opens a
    place's name only after "the", a capitalised word or at the start ("the Charles Bridge", not "my
    son Jack Bridge"), and a prompt written in title case throughout is no name ("Young Woman
    Reading Library Book"). Reads how the words are written, never a value."""
    if not written_in_title_case(text[start:end]):
        return False
    cursor = end
    for _ in range(_MAX_NAME_RUN + 1):
        found = _NEXT_TOKEN.match(text, cursor)
        if found is None or not written_in_title_case(found.group(1)):
            return False
        word = found.group(1).lower()
        if word in binding().places:
            if cursor == end and not _PLACE_NAME_OPENS.search(text, max(0, start - 12), start):
                return False  # "my son Jack Bridge": a first name and surname; "the Charles Bridge" is a place
            after = _NEXT_WORD.match(text.lower(), found.end())
            if after is not None and after.group(1).endswith("ing"):
                return False  # "Uncle Jack Tower smiling": a surname, and the person does something
            line_start = text.rfind("\n", 0, start) + 1
            around = (
                text[max(line_start, start - _SIGN_WINDOW) : start] + text[found.end() : found.end() + _SIGN_WINDOW]
            )
            return any(c.islower() for c in around) and not all(
                written_in_title_case(w) or w in FUNCTION_WORDS for w in _TITLE_TOKEN.findall(around)
            )
        if word in FUNCTION_WORDS or word.endswith(("ing", "ed")):
            return False
        cursor = found.end()
    return False


def named_before_object(
    taxonomy: Taxonomy, text: str, folded: str, start: int, end: int, categories: frozenset[str]
) -> bool:
    """Whether the capitalised name, title or kin word at text[start:end] names a thing with the
    object head after it: a first name right before it ("a Margherita pizza"), or any of them with
    one more capitalised name between ("a Jack Russell terrier", "a Lady Banks rose", "Granny Smith
    apples", "a King Charles spaniel"), the head ending the phrase. A picture after it shows the
    person ("a Frida Kahlo portrait"); a title or kin word right before a thing is `before_object`'s."""
    rules = binding()
    if not text[start : start + 1].isupper():
        return False
    cursor = end
    between = _CAPITALISED_AFTER.match(text, end)
    entry = taxonomy.lexicon.get(surface_key(between.group())) if between is not None else None
    if between is not None and (entry is None or all(rules.rule(c) == CAPITALISED for c in entry.categories)):
        cursor = between.end()
    elif any(rules.rule(c) != CAPITALISED for c in categories):
        return False
    head = _NEXT_WORD.match(folded, cursor)
    if head is None:
        return False
    word = head.group(1)
    if surface_key(word) in taxonomy.lexicon and not (word in named_object_heads() and text[head.start(1)].islower()):
        return False  # a name after it is the person's ("Emma Rose"); "a Lady Banks rose" is a rose
    if not (is_object_head(word) or word in named_object_heads()):
        return False
    if word.endswith("s") and is_person_noun(word):
        return False
    cursor, run = _things_after(taxonomy, folded, head.end())
    if any(is_picture(w) or is_depiction(w) or is_likeness(w) for w in (word, *run)):
        return False  # "a Frida Kahlo portrait", "a Mister Rogers doll", "a Queen Victoria bronze statue"
    return _phrase_ends(folded, cursor)


def _things_after(taxonomy: Taxonomy, folded: str, cursor: int) -> tuple[int, list[str]]:
    """Where a run of object heads from `cursor` ends (a compound of things: "a queen conch shell"),
    stopping before a taxonomy word, and its words."""
    run: list[str] = []
    while (more := _NEXT_WORD.match(folded, cursor)) is not None and is_object_head(more.group(1)):
        if surface_key(more.group(1)) in taxonomy.lexicon:
            break
        run.append(more.group(1))
        cursor = more.end()
    return cursor, run


def _child_thing(taxonomy: Taxonomy, entry: SurfaceEntry, head: str) -> bool:
    """Whether `head`, right after a word of a child's age (`entry`), is a thing made for a child
    (`binding.json`, `child_things`: "an antique baby rattle", "a baby mobile"; never what holds the
    child: "a baby carrier" keeps the baby)."""
    rules = binding()
    if head not in rules.child_things:
        return False
    # a word of a child's age ("baby", "toddler"), never a gender's child noun: "girl shoes" may
    # be a girl's, as "a maid apron" is not
    return taxonomy.attributes[entry.attribute].name in rules.child_attributes


def _worn_after_role(taxonomy: Taxonomy, entry: SurfaceEntry, folded: str, head: re.Match[str], surface: str) -> bool:
    """Whether the person word `surface` (of `entry`) names a thing worn at `head`, the word right
    after it: a role, kin or other word that is no gender's plain noun ("a maid apron", "a newsboy
    cap", "in a granny cardigan"), before what a person wears (`worn_heads`) that no gerund follows
    ("a mother hat shopping" shops). A plain noun before clothes is a person in a tag run ("japanese
    girl school uniform")."""
    if head.group(1) not in worn_heads() or _GERUND.match(folded, head.end()):
        return False
    if _THIRD_PERSON.search(head.group(1)) and not _plural(entry) and _OBJECT_AFTER.match(folded, head.end()):
        return False  # "the bride stays the same": a verb after its subject, not a bride's stays
    word = surface_key(surface)
    forms = taxonomy.attributes[entry.attribute].forms.get(entry.value, {})
    return not any(word in forms.get(c, ()) for c in entry.categories & _PLAIN_NOUNS)


@functools.cache
def animal_heads() -> frozenset[str]:
    """Object heads whose most frequent sense is an animal ("dog", "retriever", "hedgehog"), from
    WordNet (`data/binding_wordnet.json`): in a prompt that names no person, a pronoun after one is
    the animal's ("pic of my dog in a graduation cap, he finally passed puppy school")."""
    return frozenset(_wordnet()["animal_heads"])


@functools.cache
def named_object_heads() -> frozenset[str]:
    """Object heads that are first names too ("rose", "lily", "mare"): a thing or an animal when
    written in lower case or in the plural, never after a title ("Grandma Rose")."""
    return frozenset(_wordnet()["named_object_heads"])


def is_object_head(word: str) -> bool:
    """Whether `word` is an object head (`object_heads`) or the regular plural of one, or of a
    named one (`named_object_heads`), that is no person noun and no verb too ("parakeets",
    "lilies"; not "climbs": "a toddler climbs him")."""
    if word in object_heads():
        return True
    if not word.endswith("s") or is_person_noun(word):
        return False
    if word.endswith("ies"):
        singular = {word[:-3] + "y"}
    elif word.endswith(("ses", "xes", "zes", "ches", "shes", "oes")):
        singular = {word[:-2], word[:-1]}
    else:
        singular = {word[:-1]}
    return bool(singular & _plural_heads()) and not singular & _also_verbs()


@functools.cache
def _plural_heads() -> frozenset[str]:
    """The object heads, named ones too, whose regular plural is an object head: none a verb."""
    return (object_heads() | named_object_heads()) - _also_verbs()


# a gender's plain nouns ("woman", "men", "girl"): before a thing and a gerund they do the activity;
# kin and baby words before an animal and a participle stay the animal's ("a mother duck swimming")
_PLAIN_NOUNS = frozenset({"noun_singular", "noun_plural", "noun_child_singular", "noun_child_plural"})
# kin words that name no animal's young or parent ("a mother duck", "a baby seal"): before a thing and
# a gerund, they do the activity ("a Russian grandfather ice fishing")
_KIN_OF_PERSONS_ONLY = frozenset(
    {
        f"{kin}{plural}"
        for kin in ("grandparent", "aunt_uncle", "great_aunt_uncle", "spouse", "grandchild")
        for plural in ("", "_plural")
    }
)
_GERUND = re.compile(r"[ \t]+([a-z]{3,}ing)\b(?!['’-])")


_PAIR_BEFORE = re.compile(r"([a-z]+)[ \t]+(?:and|&|n['’]?)[ \t]+$")


def pair_pursuit(folded: str, start: int, cursor: int) -> bool:
    """Whether the person noun at folded[start:] closes a pair of persons ("father and daughter")
    and a pursuit of animals follows the thing it precedes (`binding.json`, ``pursuits_of_animals``:
    "father and daughter duck hunting"). Reads the fixed words only."""
    gerund = _GERUND.match(folded, cursor)
    if gerund is None or gerund.group(1) not in binding().pursuits_of_animals:
        return False
    pair = _PAIR_BEFORE.search(unaccented(folded), max(0, start - 40), start)  # "an Inuit fathèr and son"
    return pair is not None and is_person_noun(pair.group(1))


def does_activity(categories: frozenset[str], folded: str, cursor: int) -> bool:
    """Whether a person noun of `categories`, before a thing that ends at folded[cursor], does an
    activity of that thing: it is a gender's plain noun and a gerund that is not itself a thing
    follows ("a woman ice skating", "a girl horse riding"; not "ring" or "building"), or a kin word
    no animal is called (`_KIN_OF_PERSONS_ONLY`: "grandfather", "aunt", "wife"; not "mother" or
    "baby") and a sport or a pursuit of animals (`binding.json`, ``sports``, ``pursuits_of_animals``)
    follows ("a grandfather ice fishing"; "a grandpa cat wearing a party hat" is a cat)."""
    gerund = _GERUND.match(folded, cursor)
    if gerund is None or gerund.group(1) in object_heads():
        return False
    if categories <= _PLAIN_NOUNS:
        return True
    rules = binding()
    return categories <= _KIN_OF_PERSONS_ONLY and gerund.group(1) in rules.sports | rules.pursuits_of_animals


@dataclass(frozen=True)
class _Idiom:
    """One idiom: its regex (compiled on first use, so building a taxonomy stays cheap), the
    groups of its unbound words, and literal words the text must hold for it to match at all."""

    source: str
    groups: tuple[str, ...]
    literals: tuple[str, ...]
    name_groups: tuple[str, ...] = ()

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source)


_MAX_ALTERNATIVES = 500
_WINDOW = 80


@functools.lru_cache(maxsize=32)
def _idioms(taxonomy: Taxonomy) -> dict[tuple[int, str], list[_Idiom]]:
    """Per (attribute, category), the idioms in which a word of that category names no person.

    Every taxonomy word of an idiom matches every form of its category, of every value ("queen
    bee" also covers "king bee"), so whether a word is bound never depends on the value written.
    The idiom's nouns are unbound; its modifiers too when it has no noun and one modifier only
    (two modifiers, "old English", are left to the modifier rule)."""
    rules = binding()
    index: dict[tuple[int, str], list[_Idiom]] = {}
    surfaces: dict[tuple[int, str], list[str]] = {}
    for key, entry in taxonomy.lexicon.items():
        for category in entry.categories:
            surfaces.setdefault((entry.attribute, category), []).append(key)
    alternations: dict[tuple[int, frozenset[str]], tuple[str, bool]] = {}
    for phrase in rules.idioms:
        found = list(taxonomy.matcher.finditer(phrase))
        entries = [taxonomy.lexicon[surface_key(m.group())] for m in found]
        nouns = [i for i, e in enumerate(entries) if any(rules.rule(c) != MODIFIER for c in e.categories)]
        targets = nouns or ([0] if len(found) == 1 else [])
        if not targets:
            continue
        pieces, cursor, literals, name_groups = [], 0, [], []
        for i, (match, entry) in enumerate(zip(found, entries, strict=True)):
            kind = (entry.attribute, entry.categories)
            if kind not in alternations:  # one alternation per kind of word, shared by its idioms
                alternatives: set[str] = set()
                for category in entry.categories:
                    alternatives.update(surfaces[(entry.attribute, category)])
                names = all(rules.rule(c) == CAPITALISED for c in entry.categories)
                generic = names and len(alternatives) > _MAX_ALTERNATIVES
                # thousands of first names: any word, checked to be a name on a match
                alternations[kind] = (
                    r"[^\W\d_][\w'’]*"
                    if generic
                    else "|".join(_spaced(s) for s in sorted(alternatives, key=len, reverse=True)),
                    generic,
                )
            words, generic = alternations[kind]
            if generic and i in targets:
                # a name the idiom frees is that very name ("venus de milo"): any name there would
                # free every name ("Maria de Souza")
                words, generic = _spaced(match.group()), False
            elif generic and i > 0 and entries[i - 1].categories & rules.name_titles:
                # a title and a name ("Sir Barton" the racehorse, "Queen Anne's lace"): that very
                # name, since a name after a title is that person's ("Sir Edward", `detect`)
                words, generic = _spaced(match.group()), False
            if i not in targets and surface_key(match.group()) in rules.strict:
                # a colour word ("black widow", "white knight"): that very word, so that "a Greek
                # widow" is no spider
                words, generic = _spaced(match.group()), False
            if generic:
                name_groups.append(f"w{i}")
            pieces.append(_spaced(phrase[cursor : match.start()]))
            literals.extend(re.findall(r"\w+", phrase[cursor : match.start()]))
            pieces.append(f"(?P<w{i}>{words})" if i in targets or generic else f"(?:{words})")
            cursor = match.end()
        pieces.append(_spaced(phrase[cursor:]))
        literals.extend(re.findall(r"\w+", phrase[cursor:]))
        if re.search(r"[a-z]$", phrase[cursor:]):
            pieces.append("(?:e?s)?")  # a plural of the idiom's last noun: "ladies' fingers"
        source = rf"(?<![\w-]){''.join(pieces)}(?![\w-])"
        idiom = _Idiom(source, tuple(f"w{i}" for i in targets), tuple(literals), tuple(name_groups))
        for i in targets:
            for category in entries[i].categories:
                index.setdefault((entries[i].attribute, category), []).append(idiom)
    return index


_LITERAL_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=32)
def _idiom_lookup(
    taxonomy: Taxonomy,
) -> dict[tuple[int, str], tuple[tuple[_Idiom, ...], dict[str, tuple[_Idiom, ...]]]]:
    """`_idioms` per (attribute, category) as (the idioms without a literal word, the rest by their
    first literal): a text can hold an idiom only if it holds that word, so a slot looks at the
    few idioms whose word is near it, not at every idiom of its category."""
    lookup: dict[tuple[int, str], tuple[tuple[_Idiom, ...], dict[str, tuple[_Idiom, ...]]]] = {}
    for kind, idioms in _idioms(taxonomy).items():
        by_word: dict[str, list[_Idiom]] = {}
        for idiom in idioms:
            if idiom.literals:
                by_word.setdefault(idiom.literals[0], []).append(idiom)
        always = tuple(idiom for idiom in idioms if not idiom.literals)
        lookup[kind] = (always, {word: tuple(found) for word, found in by_word.items()})
    return lookup


def _is_name(taxonomy: Taxonomy, word: str) -> bool:
    entry = taxonomy.lexicon.get(word)
    rules = binding()
    return entry is not None and all(rules.rule(c) == CAPITALISED for c in entry.categories)


_NAME_WORD = re.compile(r"[^\W\d_][\w'’]*")
_TITLE_BEFORE = re.compile(r"([^\W\d_][\w'’.-]*)[ \t]+$")


def _titled_name(taxonomy: Taxonomy, text: str, folded: str, start: int) -> bool:
    """Whether the word at `start` is a capitalised word right after a kin word or title of rank,
    which `detect` reads as that person's first name whatever list holds it ("Queen Softee"); a
    name slot there renders a listed name ("Queen Emma"), so an idiom reads both alike."""
    if not text or not text[start : start + 1].isupper():
        return False
    word = _NAME_WORD.match(folded, start)
    if word is None or surface_key(word.group()) in taxonomy.lexicon:
        return False  # a taxonomy word there is a slot of its own ("Queen MAN Queen")
    before = _TITLE_BEFORE.search(folded, max(0, start - 40), start)
    if before is None:
        return False
    entry = taxonomy.lexicon.get(surface_key(before.group(1)))
    return entry is not None and bool(entry.categories & binding().name_titles)


def _spaced(text: str) -> str:
    return r"\s+".join(re.escape(part) for part in text.split(" "))


def in_idiom(
    taxonomy: Taxonomy,
    folded: str,
    start: int,
    end: int,
    attribute: int,
    categories: frozenset[str],
    surface: str = "",
    text: str = "",
) -> bool:
    """Whether the taxonomy word at folded[start:end] names no person: it sits in an idiom of the
    lexicon or of WordNet ("queen bee", "king cobra", "daddy longlegs", "gingerbread man"), it is a
    person noun before the thing it modifies (`before_object`: "a baby koala"; `surface` as there)
    or a classifying possessive ("a boys' bicycle"), a first name in a place's name ("Lake
    Victoria") or in a multiword noun naming a thing (`in_name_compound`: "eggs Benedict"); with
    `text` (the prompt as written, `folded` is its folded case), also a word in
    capitals on a sign (`in_sign_text`), a title opening a brand (`before_brand`), a word in the
    proper name of a thing (`in_proper_name`: "the yacht Lady Anne"), in a work's title
    (`in_work_title`: "a copy of Of Mice and Men") or in a meme's caption (`in_caption`)."""
    if before_object(taxonomy, folded, start, end, surface, text):
        return True
    if classifying_genitive(taxonomy, folded, start, end, surface) or facility_genitive(
        taxonomy, folded, start, end, surface
    ):
        return True
    if for_whom(taxonomy, folded, start, end, surface):
        return True
    if _party_named_for(folded, start, end):
        return True
    if after_name_prefix(folded, start, categories):
        return True
    if "first_name" in categories:
        # any name the slot may render there decides, so every candidate is bound alike ("a Tina
        # Collins" whose decoy would be "a Tom Collins")
        spec = taxonomy.attributes[attribute]
        names = name_renderings(taxonomy, spec, surface or folded[start:end])
        if any(in_name_compound(folded, start, end, name) for name in names):
            return True
        if text and named_item(taxonomy, text, folded, start, end):
            return True
    names_someone = bool(
        text
        and _COURTESY in categories
        and _NAME_AFTER_TITLE.match(text, end)
        # "a trawler named 'Miss Kathleen'", "the name 'Lady Anne' carved on the hull", "a box labeled 'Mr. Atomic Man'"
        and not _NAMED_RIGHT_BEFORE.search(text, max(0, start - 20), start)
    )
    if text and (
        (in_sign_text(text, start, end) and not names_someone)  # "a card 'Thank you Mrs. Patel!'" names her
        or before_brand(taxonomy, text, folded, start, end)
        or named_before_object(taxonomy, text, folded, start, end, categories)
        or named_award(text, start, end)
        or named_place(text, start, end)
        or character_name(taxonomy, text, folded, start, end, categories)
        or in_proper_name(taxonomy, text, folded, start, end)
        or in_work_title(text, folded, start, end)
        or in_caption(taxonomy, text, folded, start, end)
        or in_possessive_name(taxonomy, text, folded, start, end, categories)
    ):
        return True
    table = _idiom_lookup(taxonomy)
    low, high = max(0, start - _WINDOW), min(len(folded), end + _WINDOW)
    window = folded[low:high]  # an idiom holding this word lies within it: a 100 kB prompt stays fast
    words: set[str] | None = None
    for category in categories:
        kind = table.get((attribute, category))
        if kind is None:
            continue
        if words is None:  # an idiom's literal words are whole words of its match, so of the window
            words = set(_LITERAL_WORD.findall(window))
            words |= {word[:-1] for word in words if word.endswith("s")}  # an idiom's last noun as a plural
            words |= {word[:-2] for word in words if word.endswith("es")}
        always, by_word = kind
        near = [idiom for word in words for idiom in by_word.get(word, ())]
        for idiom in (*always, *near):
            if not all(word in words for word in idiom.literals):
                continue
            for found in idiom.pattern.finditer(folded, low, high):
                if not all(
                    _is_name(taxonomy, found.group(group)) or _titled_name(taxonomy, text, folded, found.start(group))
                    for group in idiom.name_groups
                ):
                    continue  # "a king" is no "Stephen King"
                if _person_noun_after(taxonomy, folded, found.group(), found.end()):
                    continue  # "an African shepherd boy": the idiom's person noun heads a person
                if _activity_after(folded, found.group(), found.end()):
                    continue  # "a grandmother square dancing" (not a "granny square")
                if (
                    found.end() == end
                    and categories & _KIN
                    and (
                        _KIN_DOING.match(folded, end)
                        or POSSESSIVE_BEFORE.search(folded, max(0, found.start() - 8), found.start())
                    )
                ):
                    continue  # "big sister bottle-feeding a lamb", "held by her big brother": kin
                if any(found.span(group) == (start, end) for group in idiom.groups):
                    return True
    return False


def _activity_after(folded: str, words: str, end: int) -> bool:
    """Whether the last of `words` (ending at folded[end]) and the gerund after it are an activity
    of WordNet's ("square dancing": after "a grandmother square", or the idiom "granny square")."""
    activity = _GERUND.match(folded, end)
    return activity is not None and f"{words.rsplit(None, 1)[-1]} {activity.group(1)}" in _compound_activities()


def _person_noun_after(taxonomy: Taxonomy, folded: str, idiom: str, end: int) -> bool:
    """Whether an idiom that ends in a person noun ("german shepherd", a dog) is followed by a
    gender's plain noun, with which it names a person ("an African shepherd boy"), whatever value
    the noun renders."""
    last = idiom.replace("-", " ").split()[-1] if idiom.strip() else ""
    if not last or not is_person_noun(last):
        return False
    after = _NEXT_WORD.match(folded, end)
    entry = taxonomy.lexicon.get(surface_key(after.group(1))) if after is not None else None
    return entry is not None and not entry.is_pronoun and bool(entry.categories & _PLAIN_NOUNS)


# what a tag holds besides its words: brackets and a weight ("(cowboy shot:1.2)", "[[upper body]]")
TAG_MARKS = re.compile(r"[()\[\]{}]|:\s*\d+(?:\.\d+)?")


@functools.cache
def _tag_frames(taxonomy: Taxonomy) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """Per person tag holding one taxonomy word (`binding.json`, `person_tags`: "cowboy shot"), the
    words before and after it and its categories."""
    frames = []
    for tag in binding().person_tags:
        found = list(taxonomy.matcher.finditer(tag))
        if len(found) == 1:
            word = found[0]
            entry = taxonomy.lexicon[surface_key(word.group())]
            frames.append((tag[: word.start()].strip(), tag[word.end() :].strip(), entry.categories))
    return tuple(frames)


def in_person_tag(taxonomy: Taxonomy, folded: str, start: int, end: int) -> bool:
    """Whether the taxonomy word at folded[start:end] is the one of a person tag that stands as a
    tag of its own ("1girl, (cowboy shot:1.2)": Danbooru's framing from the thighs up,
    `person_tags`). Reads the tag's other words only, so any form of the word's kind is read alike
    ("cowgirl shot" too, as every candidate must be); "a cowboy shot dead in a saloon" is no tag."""
    entry = taxonomy.lexicon.get(surface_key(folded[start:end]))
    frames = [f for f in _tag_frames(taxonomy) if entry is not None and f[2] & entry.categories]
    if not frames:
        return False  # no person tag holds a word of its kind: the tag's bounds are never read
    opening = max(folded.rfind(",", 0, start), folded.rfind("\n", 0, start)) + 1
    ends = [i for i in (folded.find(",", end), folded.find("\n", end)) if i >= 0]
    closing = min(ends) if ends else len(folded)
    before = TAG_MARKS.sub("", folded[opening:start].replace("_", " ")).strip()
    after = TAG_MARKS.sub("", folded[end:closing].replace("_", " ")).strip()
    return any(before == b and after == a for b, a, _ in frames)
