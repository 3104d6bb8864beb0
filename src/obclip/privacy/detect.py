"""Detection: turns a prompt into a `Template` (fixed text, attribute slots, pronoun and article
slots) plus the values the user wrote, by the rules documented in docs/privacy.md.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from dataclasses import dataclass, field, replace

from obclip.errors import InvalidInputError
from obclip.privacy.binding import (
    AFTER_POSSESSIVE,
    ALWAYS,
    BEFORE_BIRTHDAY,
    CAPITALISED,
    MODIFIER,
    PARTICLE,
    PERSON_IN_PROMPT,
    POSSESSIVE_BEFORE,
    TAG_MARKS,
    TITLE,
    animal_heads,
    binding,
    does_activity,
    gathering_groups,
    gathering_heads,
    generator_labels,
    given_to,
    in_idiom,
    in_likeness,
    in_person_tag,
    in_recreated_meme,
    is_body_part,
    is_depiction,
    is_likeness,
    is_picture,
    named_object_heads,
    not_nouns,
    object_heads,
    owns_thing,
    pair_pursuit,
    present_verbs,
    says_no_one_is_there,
    worn_heads,
)
from obclip.privacy.cues import cue_table
from obclip.privacy.emoji import has_person_emoji, neutralise_emoji
from obclip.privacy.keep import (
    TWO_DIGITS,
    bare_form,
    bare_key,
    form_key,
    known_person_spans,
    parse_number,
    range_key,
    range_renders,
    render_form,
)
from obclip.privacy.language import language_of
from obclip.privacy.normalize import near_word_frequencies, normalize_text
from obclip.privacy.taxonomy import (
    AttributeSpec,
    SurfaceEntry,
    Taxonomy,
    data_name_keys,
    default_taxonomy,
    fold,
    people_name_keys,
    surface_key,
)
from obclip.privacy.template import ARTICLE, Attribute, Part, Slot, Template
from obclip.privacy.words import (
    COPULAS,
    DETERMINERS,
    FUNCTION_WORDS,
    GROUP_NOUNS,
    LINKING,
    NOUNS_LIKE_PARTICIPLES,
    OBJECT_HEADS,
    OCCASIONS,
    POSSESSIVES,
    SAID_OF_PERSONS,
    SENTENCE_END,
    TRANSPARENT,
    english_words,
    is_person_head,
    is_person_noun,
    unaccented,
    wordnet_named,
    written_in_title_case,
)

_WORD_CHAR = re.compile(r"[\w'’-]")
_WORD = re.compile(r"\w[\w'’-]*")
# a tag alone: a comma, the end of a line or the end after it ("..., Brooklyn, slow tilt down")
_TAG_END = re.compile(r"[ \t]*(?:,|$|\n)")
# ... and before it a comma, after the last word of the phrase before (group 1 ends there)
_TAG_BEFORE = re.compile(r"([\w'’.)-])[ \t]*,[ \t]*$")
# the words between a proper noun's capitalised word and a name that ends it ("Gateway of India")
_NAME_LINKS = frozenset({"of", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "des"})
# greetings that are no English words of the word list ("Congrats Maria")
_GREETINGS = frozenset({"congrats", "congratulations", "xoxo", "hiya", "heya", "yo", "bday"})
# what ends a sentence between two words (`_Detector._in_proper_noun`)
_SENTENCE_END = re.compile(r"[.!?:;\n]")
_NEXT_WORD = re.compile(r"[ \t]+(\w[\w'’-]*)")
_HEAD_AFTER = re.compile(r"\s+[a-z]+")
_WORDS_GAP = re.compile(r"[\w \t]*")
_GAP_OK = re.compile(r"[\w'’\s,-]*")
_TITLE_GAP_OK = re.compile(r"\.?\s*")
# a title or a name, its surname, and a noun phrase after a comma or "the" that renames the person:
# "Mr. Tanaka, a retired salaryman", "Emma, young nurse", "Mr. Carson the butler", "Dolores, our
# abuelita" (the speaker's own: "Maria, her mother" is another person), the years of a life between
# ("my dad Sean, 1951-2023, an old fisherman") (the names in group 1, the phrase's words in 2)
_APPOSITION = re.compile(
    r"\.?((?:\s+[^\W\d_][\w'’-]*){0,2})(?:\s*,?\s*\(?\d{4}\s*[-–—]\s*\d{4}\)?)?"
    r"(?:\s*,\s*(?:(?:a|an|the|my|our|your)\s+)?|\s+the\s+)"
    r"((?:[^\W\d_][\w'’-]*\s+){0,3})"
)
# a school year or an age group's league, read as a child's age before a child's noun: "a 4th grade
# girl", "fifth-grade boys", "grade 3 students", "U12 girls" (`_before_child`)
_SCHOOL_YEAR = re.compile(r"(?:\d{1,2}(?:st|nd|rd|th)|[a-z]+)[ \t-]grade|grade[ \t]+\d{1,2}|u-?\d{1,2}")
_PUPILS = frozenset({"student", "students", "pupil", "pupils", "schoolchild", "schoolchildren", "schoolkids"})
_ERA_DECADE = re.compile(r"[89]0['’]?s")
"""A bare decade that is an era, not an age, except after a possessive ("in her 80s"): no row of
`data/keep.json` renders it, so no decoy holds it and reading it by its value keeps closure."""
_TAG = re.compile(r"[^,\n]+")
_SOLO = re.compile(r"(?:^|[,\n])[\s(\[{]*solo\b")
_TAG_TEXT = TAG_MARKS  # what a tag holds besides its words: "(solo:1.2)", "[[upper body]]"
_GROUP_TAG_RULES = frozenset({MODIFIER, PERSON_IN_PROMPT})
# "old" after a unit shorter than a month is part of an infant's age ("3 weeks old", "a 10-day-old
# baby"), no adult's: the cue table tells it (child_age infant, strong)
_ADULT_AGE = "age"
_SHORT_AGE_UNIT = re.compile(r"(?<![\w'’-])(?:weeks?|days?|wks?|hours?)[ \t-]+$")
_SENTENCE_BREAK = re.compile(r"(\w*)[.!?]+[\s\"'”’)]")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt", "vs", "etc", "no"})
_AGE_QUALIFIERS = frozenset({"early", "mid", "late", "mid-to-late", "very"})
_SPELLED_QUALIFIERS = ("early", "mid", "late")
_ARTICLE_GAP = re.compile(r"\s+[(\[{\"'“‘*]*|[(\[{\"'“‘*]+")
_PRONOUN_FALLBACK = (
    "object_pronoun",
    "possessive_pronoun",
    "subject_pronoun",
    "reflexive_pronoun",
    "possessive_determiner",
)


@dataclass
class _Match:
    index: int
    start: int
    end: int
    entry: SurfaceEntry
    category: str = ""
    variable: int = -1
    article: tuple[int, int] | None = None
    rule: str = ALWAYS
    surface: str = ""  # the taxonomy form read here, when it is not the text itself (typo, bare age)
    bare: str = ""  # a bare age as written ("45" in "a woman, 45, sitting")
    # ... read only where it has two digits or three ("mom 52", "my son 12 at the beach": one digit
    # there is a label, "girl 2"), so every candidate must render it so, else as "N years old"
    bare_two_digits: bool = False
    owner: _Match | None = None  # the person word a bare age follows ("woman", "he" in "he is 80")
    range_separator: str = ""  # an age range's text between its bounds ("-" in "25-30"), read by its lower
    range_width: int = 0  # ... and the upper bound less the lower (5 in "25-30")


@dataclass
class _Variable:
    kind: int
    person: int
    value: str
    first: int
    differs_from: list[int] = field(default_factory=list)
    agrees_with: list[int] = field(default_factory=list)


_MAX_FREE_PRONOUNS = 4
"""Pronouns of a prompt that may speak of any of the persons before them (`_free_referents`): a
couple with four such pronouns has 2 * 2**4 + 2 = 34 gender candidates, three persons 98; each
doubles the mixed assignments, so a set past `_FREE_SET_LIMIT` is read again with two, then none."""

_MAX_PAIR_PRONOUNS = 4
"""Pronouns after a group of two that names no one, each a variable of its own (`_pair_pronouns`):
2**4 = 16 gender patterns at most (not counted in `_MAX_FREE_PRONOUNS`)."""


MAX_PROMPT_CHARS = 4000
"""Longest prompt `build_candidate_set` reads (`check_length`): more than the ten 75-token chunks the
device encodes (`prompt_tokens.MAX_PROMPT_CHUNKS`), and short enough that reading every candidate back
stays within seconds."""


def check_length(prompt: str) -> None:
    """Refuse a user's prompt longer than `MAX_PROMPT_CHARS`, before any work on it.

    Raises:
        InvalidInputError: naming the length and the limit.
    """
    if isinstance(prompt, str) and len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInputError(
            f"prompt is {len(prompt)} characters long; obclip reads at most {MAX_PROMPT_CHARS} (ten "
            "75-token chunks, about 3,000 characters); shorten it"
        )


_PERSON_RULES = frozenset({ALWAYS, CAPITALISED, TITLE})
# a word after a courtesy title typed in lower case: "mrs patel"
_LOWER_WORD_AFTER = re.compile(r"[ \t]+([a-z][a-z'’-]+)")
_TITLED_NAME = re.compile(r"\.?[ \t]+([^\W\d_]+(?:-[^\W\d_]+)*)(?![\w-])(?!['’][^\Ws])")
_LONGEST_ABBREVIATION = 4  # letters of a title written with a period ("Mrs.", "Prof.", "Capt.")


# what joins the bounds of an age range ("25-30", "25 - 30", "25 to 30": `_age_ranges`)
_RANGE_SEPARATOR = r"[ \t]?[-–—][ \t]?|[ \t]+to[ \t]+"
# an age range's upper bound right after a bare age ("a woman, 20-25,"), and the end of a bare
# age's number, which may be that
_OPT_RANGE = rf"(?:(?:{_RANGE_SEPARATOR})\d{{2,3}}(?!\d))?"
_NUMBER_END = r"(?!\w|[-–—](?!\d{2,3}(?!\d))|[:.]\d)"  # "at 10:30", "at 1.5" are no ages
# after a bare age: punctuation, the end, a linking word, a preposition, a participle, an
# adjective said after the person ("a girl of seventeen asleep") or an adverb of time ("a woman at
# 40 finally graduating", "my grandpa at 94 still tinkering", "me at 30 side by side"), never a
# noun ("of about six feet", "over 70 countries", "a painter of 40 still lifes" are measures and
# counts)
_AFTER_AGE = (
    rf"(?={_OPT_RANGE}\+?[ \t]*(?:[,.;:!?)\]\"”—]|$|(?:and|with|in|on|at|wearing|holding|who|years?|yrs?|vs"
    r"|versus|dressed|clad|seated|from|as|for|by|near|beside|next|behind|under|asleep|awake|alone|atop|among"
    r"|inside|outside|into|onto|through|across|against|beneath|above|below|finally|today|now|then|again"
    r"|already|yet|side(?=[ \t]+by[ \t]+side))\b|still\b(?![ \t]+li(?:fe|ves|fes)\b)|\w+ing\b))"
)
# a bare age as written and rendered: "7" or, an infant's, "18 months"
_AGE_NUMBER = r"\d{1,3}(?:[ \t]+months?)?"
# ... or in words: "six", "about six months"
_AGE_WORD = r"(?:\d{1,3}|[a-z]+(?:-[a-z]+)?)(?:[ \t]+months?)?"
_BARE_AGE = re.compile(
    rf"(?:,[ \t]*(?P<both>(?:both|all|each)[ \t]+)?(?P<c>{_AGE_NUMBER})"
    rf"(?={_OPT_RANGE}(?:[ \t]+(?:years|yrs))?\+?[ \t]*(?:,|\.|;|\)|$))"
    # "a little boy, about six, in a kurta": an approximate age between commas, digits or words
    r"|,[ \t]*(?:about|abt|around|roughly|approximately|approx|nearly|almost|maybe)[ \t]+"
    rf"(?P<w>{_AGE_WORD})(?={_OPT_RANGE}(?:[ \t]+(?:years|yrs))?\+?[ \t]*(?:,|\.|;|$))"
    r"|[ \t]+of[ \t]+(?:(?:about|abt|around|maybe|roughly|approximately|approx|nearly|almost)[ \t]+)?"
    # ... or before a verb in the present: "a girl of about eight stands in a field" (`present_verbs`)
    rf"(?P<o>{_AGE_WORD}){_NUMBER_END}(?:{_AFTER_AGE}|(?=[ \t]+(?P<verb>[a-z]+s)\b))"
    # "a man over 70", "a woman around forty, reading", "a woman who looks about 35", "a man (45)",
    # "a man pushing 60"
    r"|[ \t]+(?:who[ \t]+(?:looks|seems|is)[ \t]+|looking[ \t]+)?"
    r"(?:over|under|around|about|abt|nearly|almost|roughly|approximately|approx|at|nearing|approaching|past"
    r"|pushing)[ \t]+"
    rf"(?P<a>{_AGE_WORD}){_NUMBER_END}{_AFTER_AGE}"
    # ... also after one word or two before it there ("me (he/him, 17)", "a man (tall, 45)")
    rf"|[ \t]*\((?:[^\W\d_][^(),\d]{{0,20}},[ \t]*)?(?P<each>(?:both|all|each)[ \t]+)?(?P<b>{_AGE_NUMBER})"
    rf"{_OPT_RANGE}\+?(?:\)|,(?=[^()]*\))))"
    # "mom 52, daughter 27", "me 24 and my bf 27", "grandad 80 at his allotment": two digits right
    # after a person word, before punctuation, the end, a linking word, a preposition or a
    # participle (never "girl 2", "a man 30 meters away"); one digit or months after a child's kin
    # word ("my daughter 8 at her recital", "my baby boy 6 months on the sofa": `_KIN_OF_A_CHILD`);
    # "a woman 55+ in a gym": before a plus, an age and over
    rf"|[ \t]+(?P<n>{_AGE_NUMBER}){_NUMBER_END}(?:{_AFTER_AGE}|(?=\+(?![\w+])))"
    # "he is 80 and she is 78", "he's 9", "The grandmother is about eighty,", "shes like 10", "the
    # girls are 4 and 9": after a subject pronoun or a person word
    # ("make my grandmother look 20 again", "make me look like 25")
    # ("my niece who is 18 and going to nursing school": "who" between)
    # ("she passed at 58", "my grandpa died at 90": the age of a life's end)
    r"|(?:[ \t]*,?[ \t]+who[ \t]+(?:is|was)|[ \t]+(?:is|was|are|were|am|look|looks|looked)|['’](?:s|re|m)"
    r"|[ \t]+(?:passed(?:[ \t]+away)?|died)[ \t]+at)"
    r"[ \t]+(?:(?P<all>both|all)[ \t]+)?"
    r"(?:(?:about|around|maybe|roughly|approximately|nearly|almost|perhaps|like)[ \t]+)?"
    # ... or a word of time: "he is 34 now", "she was about 30 here", "make him look like he is 30 again"
    # ("he is one at heart" is no age)
    rf"(?P<i>{_AGE_WORD})(?={_OPT_RANGE}[ \t]*(?:[,.;:!?)\]]|$|(?:and|with|in)\b"
    r"|(?<!\bone )(?:now|here|there|again|today|then|already|at)\b))"
)
# an age right after a gender adjective used as a noun, then punctuation or the end
# (`_alone_before_age`): "male approx 25-30 yrs,", "female 40s", "male 45", "female, ca. 30"
_AGE_AFTER_NOUN = re.compile(
    r"[ \t]*(?:(?:approx|approximately|about|around|roughly|circa|ca|est|aged?)\.?[ \t]+)?\d{2}"
    rf"(?:(?:{_RANGE_SEPARATOR})\d{{2,3}})?(?:['’]?s)?(?:[ \t-]*(?:yrs?|years?|y/?o)(?:[ \t-]+old)?)?\+?"
    r"(?=[ \t]*(?:[,;.)\]]|$))"
)
# a tag's edge: the text's start or a comma, a semicolon, a colon, an opening bracket or quotation
# mark (`_gender_tag`)
_TAG_EDGE_BEFORE = re.compile(r"(?:^|[,;:(\[\"“])[ \t]*(?:[^\W\d_]+[ \t]+)?$")
_TAG_AFTER = re.compile(r"[ \t]*[,;][ \t]*")
_AGE_TAG_REACH = 30  # characters between a gender tag and an age tag of the same person
_ETHNICITY_FIELD = re.compile(r"(?<![\w'’-])(?:race|ethnicity|ethnic[ \t]+group|complexion)[ \t]*[:=][ \t]*$")
_BRACKET_OPENS = re.compile(r"[ \t]*\([ \t]*")
_ME_AT_END = re.compile(r"(?<![\w'’-])\(?(?:me|myself)\)?$", re.IGNORECASE)
_ME_BEFORE = re.compile(r"(?<![\w'’-])(?:me|myself)(?:[ \t]+(?:now|then|today|here))?[ \t]*$")
# "you" shown in a meme's point of view: "POV: you're 8 and ...", "when you're 30 and your knees crack"
_YOU_SHOWN = re.compile(r"(?<![\w'’-])(?:pov(?![\w'’-])[^.!?\n]*|when[ \t]+)you[ \t]*$")
# ... and right before the age said of them (`_Detector._user_described`)
_YOU_SHOWN_BEFORE_AGE = re.compile(
    r"(?<![\w'’-])(?:pov(?![\w'’-])[^.!?\n]*|when[ \t]+)(?:you['’]re|you[ \t]+are|youre)[ \t]+"
    r"(?:(?:about|around|like|maybe|almost|nearly|roughly)[ \t]+)?$"
)
# an age range (`_age_ranges`): the upper bound after a lower one ("25-30", "25 to 30", "25 - 30"),
# never a decimal, a time, a score, a size or a share ("25-30%", "25-30cm")
_RANGE_AFTER = re.compile(
    rf"({_RANGE_SEPARATOR})(\d{{2,3}})(?!\d|[.,:/]\d|%|[ \t]?(?:cm|mm|kg|km|lbs?|ft|inch(?:es)?|m)\b)"
)
_RANGE_BEFORE = re.compile(rf"(?<![\w.,:/-])(\d{{2}})({_RANGE_SEPARATOR})$")
# ... written with a hyphen, which no word of the taxonomy crosses: "aged 25-30", "age 30-35", "40-45
# years old", "25-30 year old", "20-25-year-old", "30-35 years of age"
_HYPHEN_RANGE = re.compile(
    r"(?<![\w.,:/-])(?P<pre>(?:aged|age)[ \t]+)?(?P<a>\d{2})(?P<sep>[ \t]?[-–—][ \t]?)(?P<b>\d{2,3})"
    r"(?:(?P<unit>[ \t-]+(?:years?|yrs?)[ \t-]+old|[ \t]+years[ \t]+of[ \t]+age)(?![\w-])|(?<=\d)(?![\w%-]|[.,:/]\d))"
)
_DIGITS_AT_END = re.compile(r"\d{2}$")
_DIGITS_AT_START = re.compile(r"\d{2}(?!\d)")
# a bare age after "at" right after "him" or "her": "show him at 18", "draw her at 30" (his age
# then; "at 5 pm", "at 100%" are none, as `_AFTER_AGE` reads them); never a clock's "18:00"
_AT_AGE_OF_PRONOUN = re.compile(r"(?<=\b(?:him|her))[ \t]+at[ \t]+\d{1,3}(?![\d:.])")
# "older" or "younger" after a number of years says how much, not how old ("make my sister look
# like she is 10 years older"): a decoy's "old" there would read "10 years old", another age
_COMPARATIVE_AGES = frozenset({"older", "younger"})
_YEARS_BEFORE = re.compile(r"(?<![\w-])(?:\d{1,3}|[a-z]+)[ \t]+years?[ \t]+$")
# "old" after a number of years that no age form holds ("a wizard over 300 years old", "a 150 year old
# man"): the number's phrase, left as written; read alone, "old" would send "a 150 year young man"
_NUMBER_OF_YEARS_BEFORE = re.compile(r"(?<![\w.,-])\d{1,4}[ \t-]+(?:years?|yrs?)[ \t-]+$")
# ages joined by "and" (`_coordinated_ages`): "70 and [68 years old]", "[aged 4] and 7", "brothers, 8 and 11"
_DIGIT = re.compile(r"\d")
_THOUSANDS = re.compile(r",\d{3}(?!\d)")
_BARE_NUMBER = rf"({_AGE_NUMBER})"
_AGE_BEFORE_AND = re.compile(r"(?<![\w.,-])(?<!between )(?<!from )" + _BARE_NUMBER + r"[ \t]*(?:and|&)[ \t]+$")
_AND_AGE_AFTER = re.compile(r"[ \t]+(?:and|&)[ \t]+" + _BARE_NUMBER + r"(?![\w.-])" + _AFTER_AGE)
_ARE_AGES = (
    r"(?:[ \t]+(?:are|were)|['’]re)[ \t]+"
    + _BARE_NUMBER
    + r"[ \t]+(?:and|&)[ \t]+"
    + _BARE_NUMBER
    + r"(?=(?:[ \t]+years(?:[ \t]+old)?)?[ \t]*(?:[,.;:!?)\]]|$))"
)
_THEY_ARE_AGES = re.compile(r"(?<![\w-])(?:they|we)" + _ARE_AGES)
# ... right after the plural person noun: "the two kids are 8 and 11"
_PLURAL_ARE_AGES = re.compile(_ARE_AGES)
# two numbers or more after a plural person noun, between commas or in brackets: "two brothers, 8
# and 11,", "three kids (4, 7 and 11)", "three granddaughters, 8, 10 and 13"
_AGE_LIST = rf"{_AGE_NUMBER}(?:[ \t]*,[ \t]*{_AGE_NUMBER})*[ \t]*,?[ \t]*(?:and|&)[ \t]*{_AGE_NUMBER}"
_AGES_AFTER_GROUP = re.compile(
    rf",[ \t]*(?P<c>{_AGE_LIST})(?=(?:[ \t]+years[ \t]+old)?[ \t]*(?:[,.;:!?)\]]|$))"
    # ... in brackets with commas only too: "our 3 kids (16, 12, 7)"
    rf"|[ \t]*\([ \t]*(?P<b>{_AGE_LIST}|{_AGE_NUMBER}(?:[ \t]*,[ \t]*{_AGE_NUMBER})+)[ \t]*\)"
)
_ONE_AGE = re.compile(_AGE_NUMBER)
# a name after a capitalised person word: "Señora López, 70," "Uncle Ray Díaz, 58,"
_NAME_BEFORE = tuple(re.compile(rf"\.?(?:[ \t]+[^\W\d_a-z][\w'’-]*){{{n}}}$") for n in (1, 2))
# a place the person is from or in, between the person and a bare age: "a dancer from Senegal, 22,"
_PLACE_AFTER_PERSON = re.compile(
    r"[ \t]+(?:from|in|of)[ \t]+(?:the[ \t]+)?[^\W\d_a-z][\w'’-]*(?:[ \t]+[^\W\d_a-z][\w'’-]*){0,2}$"
)
_CHILD_NOUN_CATEGORIES = frozenset({"child_noun", "child_noun_plural"})
# a child's noun of either attribute: a child age's ("kid", "kids") or a gender's ("girl", "boys")
_CHILD_NOUNS = _CHILD_NOUN_CATEGORIES | {"noun_child_singular", "noun_child_plural"}
_CHILD_AGE_ATTRIBUTE = "child_age"
_PARENT_CATEGORIES = frozenset({"parent", "parent_plural"})
_ERA_BEFORE_NAME = re.compile(r"(?:1[0-9]|20)[0-9]{2}s?|[0-9]0s|(?:early|late|modern|medieval|ancient)")
# the basic colour terms of English (Berlin and Kay): a word before one names a shade ("sage green")
_BASIC_COLOURS = frozenset(
    {"black", "white", "red", "green", "yellow", "blue", "brown", "purple", "pink", "orange", "grey", "gray"}
)
_REGION_BEFORE = re.compile(
    r"(?<![\w'’-])((?:north|south)(?:[ -]?(?:east|west))?|east|west|central|sub-saharan)(?:ern)?[ \t-]+$"
)
# a region and a people whose people is another value's ("South Asian": Indian, Pakistani,
# Bangladeshi; "South American": Hispanic); the default taxonomy's values, skipped where absent
_REGIONAL_VALUES = {
    ("south", "asian"): "indian",
    ("south", "american"): "hispanic",
    ("central", "american"): "hispanic",
    ("west", "indian"): "african",
}
_WORD_BEFORE_FOR = re.compile(r"([^\W\d_]+)[ \t,]*$")
_FOR_BEFORE = re.compile(r"(?<![\w-])for[ \t]+(?:(?:a|an|the)[ \t]+)?$")
_OWNED_BEFORE = re.compile(r"(?:['’]s|s['’]|(?<![\w'’-])(?:his|her|its|their|my|your|our))[ \t]+(?:[a-z-]+[ \t]+)?$")
# prepositions before a pronoun and a word that is a verb or a noun ("in her sleep", "with his
# smile"): the word is a noun there, the pronoun its determiner
_PREPOSITIONS_OF_NOUNS = frozenset(
    {"in", "on", "at", "into", "during", "from", "with", "of", "after", "before", "through", "throughout", "amid"}
)
_CLAUSE_MARK = re.compile(r"[,;:.!?\n()\[\]]|\s[-–—]\s")
# ... the words of `FUNCTION_WORDS` that are such verbs and nouns both
_VERBS_AND_NOUNS = frozenset(
    {"smile", "laugh", "cry", "dance", "walk", "run", "look", "play", "sleep", "drink", "fall", "rest", "wait"}
    | {"jump", "swim", "read", "talk"}
)
_POSSESSIVE_BEFORE = re.compile(r"['’]s?[ \t]+$")
# nobody said to be shown ("no humans", "no_humans", "no people"), and a word: `_someone_in_prompt`
_NOBODY = re.compile(r"(?<![\w'’-])no[ \t_]+(?:humans?|people|persons?)(?![\w'’-])")
_WORDS = re.compile(r"[^\W\d_]+")
# whose birthday it is, right before its ordinal: "my 40th", "our 25th", "Leo's 5th"
_OWNER_BEFORE = re.compile(r"(?:(?<![\w'’-])(?:my|our|your)|['’]s?)[ \t]+$")
_SPEAKER = re.compile(r"(?<![\w'’-])(?:[Ii]|me|we)(?:['’](?:m|re))?(?![\w'’-])")
_ONE_MORE = re.compile(r"[ \t]*(?:,|and|&)?[ \t]*(?:one|the[ \t]+other|another)(?:[ \t]+(?:is|was))?[ \t]*")
_ONE_IS = re.compile(r"[ \t]+(?:is|was|has|wears|looks)\b")
_CONTRACTED = re.compile(r"(?:i|you|we|they|he|she|it|that|there)['’](?:m|s|re|ve|ll|d)")
"""A pronoun and its verb in one word: it opens a clause, so it ends the noun phrase before it."""
_TWIN_BEFORE = re.compile(r"(?<![\w-])twin[ \t]+$")  # "twin girls, 5,": one age, both twins
_TWINS = frozenset({"twins", "triplets", "quadruplets"})
# an age said after its person's noun: "a young woman aged 25", "a man, 45 years old", "Nana turning 90"
_AGE_PREDICATES = frozenset({"years_old_predicate", "aged_n", "turning"})
_LAST_WORD = re.compile(r"[^\W\d_]+$")
# "the", "this" or "that" before a person's words, up to two of them: "the old man", "the little girl"
_WEARER_BEFORE = re.compile(r"(?<![\w'’-])(?:the|this|that)[ \t]+(?:[\w-]+[ \t]+){0,2}$")
# a possessive and what follows it, one word or two: "'s dress", "'s red dress"
_OWN_WORN_AFTER = re.compile(r"['’]s?[ \t]+([a-z]+)(?:[ \t]+([a-z]+))?")
_ANIMAL_PARENTS = frozenset({"mother", "mothers", "father", "fathers"})
# "i'm", "i am" or "im" right before a word said of the user: "i'm asian", "i am half Korean"
_I_AM_BEFORE = re.compile(r"(?<![\w'’-])(?:i['’]m|i[ \t]+am|im)[ \t]+(?:(?:half|part|mostly|so|very)[ \t]+)?$")
# the user right before an age said of them: "i'm 25 years old", "me, (age 45:1.1)", "me at 25",
# "make me look like 25", "a pic of me, 25,"; an approximation between ("i'm like 40")
_USER_BEFORE_AGE = re.compile(
    r"(?<![\w'’-])(?:i['’]m|i[ \t]+(?:am|was)|im|me|myself)(?:[ \t]*[,(]|[ \t]+(?:at|look))?[ \t(]*"
    r"(?:(?:about|around|like|maybe|almost|nearly|roughly)[ \t]+)?$"
)
_FIRST_PHRASE = re.compile(r"[^,;:.!?()\[\]{}|\n]*")  # up to the first mark that ends a phrase or tag
# a child's words: "the girl" may refer back to one ("his granddaughter ... The girl laughs"), "the
# woman" to any other ("a young housewife ... The woman smiles", "an abuela ... The old woman")
_CHILD_KIN = frozenset({"offspring", "grandchild", "great_grandchild", "niece_nephew", "grandniece", "godchild"})
_CHILD_HEADS = _CHILD_KIN | {"noun_child_singular", "baby_child", "step_child", "schoolchild", "royal_child", "sibling"}
# a group of two that names no gender, then one subject pronoun per member ("an old couple on a
# bench, he in a flat cap, she in a raincoat"): `_distributive`
_PAIR = re.compile(r"(?<![\w-])(?:couple|pair|duo|twins|newlyweds|lovers|two[ \t]+[^\W\d_]+|both of them)(?![\w-])")
_TWO_NOUNS = re.compile(
    r"(?<![\w'’-])([a-z]+)[ \t]+(?:and|&)[ \t]+(?:(?:a|an|the|his|her|their)[ \t]+)?"
    r"((?:[a-z]+[ \t]+)?[a-z]+)(?![\w'’-])"
)
_CLAUSE_START = re.compile(r"(?:^|[,;:(]|(?<![\w-])(?:and|while|whereas))[ \t]*$")
_COURTESY_BEFORE = re.compile(r"(?<![\w-])(?:mrs|mr|ms|miss|mx|dr|prof)\.?[ \t]+$")
_CAPITALISED_NEXT = re.compile(r"[ \t]+[^\W\d_a-z]")
_TYPO_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?![\w'’-])")
_TYPO_MIN = 4
_TYPO_GAP = 1.5
_OF_BEFORE = re.compile(r"(?<![\w-])of[ \t]+$")
_COORDINATED = re.compile(r"[ \t]+(?:and|or|&)[ \t]+")
_LANGUAGE_AFTER = re.compile(r"[ \t]+(?:languages?|dialects?)\b")
_COLOUR_BEFORE = re.compile(r"(\S+)[ \t]+(?:and|or|&)[ \t]+$")
_CONJUNCTIONS = frozenset({"and", "or", "&"})
# the word after "and" and the object head after it: "witch and [vampire costumes]"
_PAIRED_THING = re.compile(r"([a-z]+)[ \t]+([a-z]+)(?![\w'’-])")
# "named" or "called" and at most two capitalised words before a name: "a parrot named Mrs. Pickles"
# a name written on a thing: "the name Eli embroidered", "the name 'Rosa' printed on it" (`_name_as_text`)
_NAME_AS_TEXT_BEFORE = re.compile(r"(?<![\w'’-])the[ \t]+name[ \t]+['\"“‘]?$")
_NAME_AS_TEXT_AFTER = re.compile(
    r"['\"”’]?[ \t]+(?:embroidered|engraved|written|printed|painted|stitched|carved|etched|spelled|piped|in|on)\b"
)
_NAMED_BEFORE = re.compile(r"[ \t]+(?:named|called)[ \t]+['\"“‘]?(?:[A-Z][\w.'’-]*[ \t]+){0,2}$")
# between a person and a possessive that is the one before that person's (`_preferred_referent`),
# and what that possessive holds them with: "carrying his daughter on his shoulders"
_CARRIED_GAP = re.compile(r"[ \t]+(?:on|in|into|onto|over|across|against|under|to|at|around)[ \t]+")
# a person resting on a part of someone's body: "a schoolboy asleep on her shoulder", "a baby in his arms"
_RESTING_GAP = re.compile(r"[ \t]+(?:[a-z]+[ \t]+)?(?:on|in|into|onto|across|against)[ \t]+")
_RESTED_ON_PARTS = frozenset({"shoulder", "shoulders", "lap", "chest", "arms", "bosom", "breast"})
_CARRYING_PARTS = frozenset(
    {"shoulder", "shoulders", "arms", "lap", "back", "chest", "hip", "hips", "knee", "knees", "side", "bosom", "breast"}
)
# between the two persons of a pair: "a husband and wife", "a man and his wife" is no pair of this kind
_PAIR_GAP = re.compile(r"[ \t]+(?:and|&)[ \t]+(?:(?:a|an|the)[ \t]+)?")
# after a possessed person, before the next possessive of a list: "her dad, her", "her mother and her"
_LIST_GAP = re.compile(r"(?:[ \t]+[\w'’-]+){0,4}[ \t]*(?:,[ \t]*(?:and[ \t]+)?|[ \t]+(?:and|&)[ \t]+)")
# between a person (or a subject pronoun) and an object pronoun that cannot be theirs: a verb, or a
# verb and a preposition, of their own ("pushing him", "laughing beside him", "who keeps poking her")
_OWN_CLAUSE_GAP = re.compile(
    r"(?:[ \t]+who)?(?:[ \t]+(?:is|was|are|were|keeps)|['’]s)?"
    r"[ \t]+(?:[a-z]+ing|[a-z]+s|(?:(?:[a-z]+ing|[a-z]+s)[ \t]+)?"
    r"(?:beside|behind|next[ \t]+to|across[ \t]+from|in[ \t]+front[ \t]+of|opposite|with|toward|towards|near"
    r"|around|for|at|on|to|over|against|from|after))[ \t]+"
)
_THING_BEFORE = re.compile(r"([a-z]+)[ \t]+(?:and|with|&)[ \t]+$")
_TAG_MARKS = (",", ";", "|", "\n")
_PHRASE_OPENERS = frozenset(',;:|([{"“\n')
_JOINED = re.compile(r"(?<![\w'’-])([^\W\d_]+)-([^\W\d_]+)(?![\w'’-])")


@functools.lru_cache(maxsize=16)
def _typo_index(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Sensitive single words of at least `_TYPO_MIN` letters (no names, no pronouns, no word that
    is only a title: "Madama Butterfly" is no misspelt "Madam"), indexed by themselves and by each
    of their one-letter deletions (a symmetric-delete spelling index)."""
    index: dict[str, list[str]] = {}
    for key, entry in taxonomy.lexicon.items():
        if len(key) < _TYPO_MIN or not key.isalpha() or entry.is_pronoun or "first_name" in entry.categories:
            continue
        if all(category.startswith("title_") for category in entry.categories):
            continue
        for variant in (key, *_deletes(key)):
            index.setdefault(variant, []).append(key)
    return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}


def _typo_targets(typed: str, index: dict[str, tuple[str, ...]]) -> list[str]:
    """The sensitive words `typed` may be a typo of (`_typo_index`), likeliest first: one edit
    away, far rarer in English than the word (`_likelier_typo`), not one letter put for another in
    four letters, not an adjective made of the word ("witchy")."""
    targets = {t for ts in (index.get(typed, ()), *(index.get(d, ()) for d in _deletes(typed))) for t in ts}
    return sorted(
        (
            t
            for t in targets
            if _one_edit(typed, t)
            and _likelier_typo(typed, t)
            and not _short_substitution(typed, t)
            and typed != t + "y"
        ),
        key=lambda t: (len(t) <= len(typed), len(t), t),
    )


def _likelier_typo(typed: str, form: str) -> bool:
    """Whether `typed` is likelier a misspelt `form` than a word of its own: English text uses it at
    least `_TYPO_GAP` Zipf points (a factor of about 30) less often ("eldery" 1.25, "elderly" 4.15;
    never "souk" 2.35 for "sauk" 2.30, "moko" 2.08 for "moro" 2.80). A word wordfreq does not list is
    rarer than any it does; a form it does not list (a user's taxonomy) is taken as frequent."""
    zipf = near_word_frequencies()
    return zipf.get(form, math.inf) - zipf.get(typed, 0.0) >= _TYPO_GAP


def _short_substitution(typed: str, form: str) -> bool:
    """Whether `typed` differs from the four-letter `form` by one letter put for another: a word of
    another language or a name far more often than a typo ("masa" is no "mama", "kapa" no "papa",
    "nala" no "nana"); a letter left out or two swapped stay typos ("womn", "yung", "gril")."""
    return len(typed) == len(form) == _TYPO_MIN and sum(a != b for a, b in zip(typed, form, strict=True)) == 1


def _canonical_firsts(spec: AttributeSpec, category: str) -> list[str]:
    """The first letter of each value's canonical form in `category` (none where no value has one)."""
    return [spec.canonical(v, category)[:1] for v in spec.values_for((category,))]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


@functools.lru_cache(maxsize=64)
def _first_name_family(taxonomy: Taxonomy, attribute: int, value: str) -> frozenset[str] | None:
    spec = taxonomy.attributes[attribute]
    if "first_name" not in spec.categories:
        return None
    entry = taxonomy.lexicon.get(surface_key(spec.canonical(value, "first_name")))
    return entry.family if entry is not None else None


_NO_PERSON = "\x00"


@functools.lru_cache(maxsize=1024)
def _attribute(
    name: str,
    spec: AttributeSpec,
    person: int,
    differs_from: tuple[str, ...],
    categories: frozenset[str],
    agrees_with: tuple[str, ...] = (),
) -> Attribute:
    values = spec.values_for(categories or spec.categories)
    return Attribute(
        name=name, kind=spec.name, values=values, person=person, differs_from=differs_from, agrees_with=agrees_with
    )


def detect(prompt: str, taxonomy: Taxonomy | None = None) -> Template:
    """Find the sensitive words of `prompt` and return its template.

    The returned template carries the values the user wrote in `true_values` (device memory
    only); `Template.public()` drops them. A prompt not in English (`language_of`) is one
    fixed text: only English is read. The prompt is normalised first (`normalize`: invisible
    characters, look-alike letters, full-width forms, tag underscores), then gendered emoji become
    neutral ones and skin tones are dropped (a canonicalisation, see docs/privacy.md).

    Raises:
        InvalidInputError: if `prompt` is not a string, is empty or whitespace only, is not
            valid text (undecodable bytes), or has a pronoun that disagrees with the person it
            refers to when no other person agrees ("a fisherman mending her nets").
    """
    if not isinstance(prompt, str):
        raise InvalidInputError(f"prompt must be a string, got {type(prompt).__name__}")
    if any("\ud800" <= c <= "\udfff" for c in prompt):
        raise InvalidInputError("prompt is not valid UTF-8 text (it holds undecodable bytes)")
    text = neutralise_emoji(normalize_text(prompt)).strip()
    if not text:
        raise InvalidInputError("prompt is empty")
    taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
    if _text_language(text, taxonomy) is not None:
        # only English is read: a prompt in another language is sent as written (and told)
        return Template((text,), (), taxonomy, ())
    return _Detector(text, taxonomy).template()


_FEWER_FREE_PRONOUNS = (2, 0)
"""How many free pronouns a prompt tries next when its set passes `_FREE_SET_LIMIT`."""

_FREE_SET_LIMIT = 512
"""Largest set for which pronouns may speak of any of several persons (`_free_referents`); past it
the prompt is read with fewer (`_FEWER_FREE_PRONOUNS`), down to none: a family portrait of four
generations had grown from 768 candidates to 3,744 and past the 5 s a prompt may take."""


def _count_attributes(attributes: tuple[Attribute, ...], taxonomy: Taxonomy) -> int:
    """N of the full set of a template with these attributes (the slots do not change it)."""
    from obclip.privacy.expand import candidate_count  # expand imports this module

    try:
        return candidate_count(Template((), attributes, taxonomy))
    except InvalidInputError:  # a unit too large to enumerate
        return _FREE_SET_LIMIT + 1


def reading_language(prompt: str, taxonomy: Taxonomy | None = None) -> str | None:
    """The language of `prompt` when obclip cannot read it (`language_of`'s code), else None: the one
    judgement detection, the refusal (`view.check_read`) and the notice share. It reads the
    normalised prompt with its varied words made value-free (`_value_free`), so every member of a
    set gets the same answer. Not a string, or undecodable: None (detection refuses it itself)."""
    if not isinstance(prompt, str) or any("\ud800" <= c <= "\udfff" for c in prompt):
        return None
    text = neutralise_emoji(normalize_text(prompt)).strip()
    return _text_language(text, taxonomy if taxonomy is not None else default_taxonomy()) if text else None


def _text_language(text: str, taxonomy: Taxonomy) -> str | None:
    """`language_of` the value-free text, read as English only where it is so both as written and
    with each word that may be a typo read as its sensitive word (`_value_free`): detection may read
    a typo so and render its decoys in canonical forms ("aan chaps and womena" against "aan men",
    Dutch), while a word of another language that is one edit from an English one ("italiana")
    must not make its prompt English."""
    plain = _value_free(text, taxonomy)
    language = language_of(plain)
    if language is None:
        typos = _value_free(text, taxonomy, typos=True)
        if typos != plain:
            language = language_of(typos)
    return language


def _value_free(text: str, taxonomy: Taxonomy, *, typos: bool = False) -> str:
    """`text` with every taxonomy word replaced by its category family's form for the first value
    ("nonno" -> "nonna", "his" -> "her", "señor" -> "señora"), for the language
    check: the words a candidate varies must not decide whether it is read at all, or one member
    of a set would be read as English and another not (set equality); an article before one reads
    "a", since it renders "a" or "an" by the value. The words stay words of their language, so a
    prompt in Spanish is still told apart. With `typos`, a word that may be a typo of one sensitive
    word is read as that word (`_value_words`)."""
    if text.isascii() and len(text) < 3:
        return text
    folded = fold(text)
    words: list[tuple[int, int, str]] = []
    for start, end, key in _value_words(folded, taxonomy, typos=typos):
        entry = taxonomy.lexicon.get(key)
        if entry is None or ("first_name" in entry.family and not text[start].isupper()):
            continue  # "su" in Spanish is no name
        previous = taxonomy.lexicon[words[-1][2]] if words else None
        if (
            previous is not None
            and previous.attribute == entry.attribute
            and "first_name" not in previous.family | entry.family
            and folded[words[-1][1] : start].split() == ["and"]
        ):
            # two words of one attribute joined by "and" read as one, as a pair form does ("men and
            # women"): detection joins a typo into a pair ("chaps and womena") that renders one form
            words[-1] = (words[-1][0], end, words[-1][2])
            continue
        words.append((start, end, key))
    parts: list[str] = []
    last = 0
    for start, end, key in words:
        entry = taxonomy.lexicon[key]
        spec = taxonomy.attributes[entry.attribute]
        category = min(entry.family, key=spec.categories.index)
        value = next((v for v in spec.values if category in spec.forms[v]), None)
        if value is None:
            continue
        # the first value's form at the word's place among parallel forms ("abuelo" -> "abuela",
        # not "grandmother": the word stays a word of its language), where that form has as many
        # words ("chaps" is not "women and women") and the word is no pair; every first name is
        # the first one, since names are paired otherwise than by place ("Teki" renders as "Sille")
        forms = spec.forms[value][category]
        place = 0
        if "first_name" not in entry.family:
            place = _places(spec.forms[entry.value].get(category, ())).get(key, 0)
        if place >= len(forms) or " and " in key or len(forms[place].split()) != len(key.split()):
            place = 0  # a pair form is one group's: "gals and men" is no "ladies and ladies"
        form = forms[place]
        # an article before the word renders "a" or "an" by the value: "a" in every reading
        parts.append(_ARTICLE_AN.sub(r"\1", text[last:start]))
        parts.append(form)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _value_words(folded: str, taxonomy: Taxonomy, *, typos: bool) -> list[tuple[int, int, str]]:
    """The taxonomy words of `folded` as (start, end, lexicon key), and with `typos` every other
    word that is no English word and may be a typo of sensitive words of one attribute value
    (`_typo_targets`), keyed by the likeliest, whatever its context (the context decides whether
    detection reads it so, not this reading)."""
    words = [(m.start(), m.end(), surface_key(m.group())) for m in taxonomy.matcher.finditer(folded)]
    index = _typo_index(taxonomy) if typos else {}
    if not index:
        return words
    english = english_words()
    starts = [start for start, _, _ in words]
    read: list[tuple[int, int, str]] = []
    for word in _TYPO_WORD.finditer(folded):
        typed = unaccented(word.group())
        if len(typed) < _TYPO_MIN or typed in english or typed in taxonomy.lexicon:
            continue
        position = bisect.bisect_right(starts, word.start())
        if position and words[position - 1][1] > word.start():
            continue
        ranked = _typo_targets(typed, index)
        if len({(taxonomy.lexicon[t].attribute, taxonomy.lexicon[t].value) for t in ranked}) == 1:
            read.append((word.start(), word.end(), ranked[0]))
    return sorted([*words, *read])


# between a person's tag and the decade tag after it, weights and brackets included: "old man,
# 70s", "(old man:1.2), (70s:1.2)", "((old man)), (70s:1.2)"
# a determiner opening an object after an -ing word: "her holding an umbrella"
_DETERMINER_AFTER = re.compile(r"[ \t]+(?:a|an|the|this|that|these|those|his|her|their|my|your|our|its|some)[ \t]")
_DECADE_TAG_GAP = re.compile(r"(?::[ \t]*\d+(?:\.\d+)?)?[ \t]*[)\]}]*\s*,?\s*[(\[{]*\s*(?:(?:early|mid|late)[\s-]+)?")
_QUALIFIER_GAP = re.compile(r"[ \t-]+")
# between a weighted person and the age tag after it: "(old man:1.2), aged 80", "{old man}, aged 80"
_WEIGHT_GAP = re.compile(r"(?::[ \t]*\d+(?:\.\d+)?)?[ \t]*[)\]}]*\s*,?\s*[(\[{]*\s*")
_WORN_AFTER = re.compile(
    r"[ \t]*(?:(wearing|dressed|mid-|mid[ \t]+(?=[a-z]))|in[ \t]+(?:(?:a|an|the|his|her|their|full)[ \t]+)?)"
)
_WORN_WORDS = 4
# kin nouns: two of one category side by side are two persons ("mom dad"), where an alias before a
# plain noun is one ("quinceañera girl")
_KIN_CATEGORIES = frozenset(
    {
        "parent",
        "grandparent",
        "great_grandparent",
        "sibling",
        "step_parent",
        "aunt_uncle",
        "great_aunt_uncle",
        "grandchild",
        "offspring",
    }
)
_WEIGHT_BEFORE = re.compile(r"(?::[ \t]*\d+(?:\.\d+)?)?[ \t]*[)\]}]+$")
_ACTING_AFTER = re.compile(r"[ \t]*([a-z]+ing)[ \t]+(?:a|an|the|his|her|their)[ \t]")
_GERUND_AFTER = re.compile(r"[ \t]*([a-z]{2,}ing)(?![\w'’-])")
# endings of nouns of agents, in English and the Romance languages ("woodcarver", "torcedor",
# "vaquero", "barista", "saboteur")
_AGENT_ENDINGS = ("er", "or", "ero", "era", "eur", "ista")
_WORD_BEFORE_SLANG = re.compile(r"(?<![\w'’-])([a-z]+)[ \t-]+$")
# kin words whose "of N" counts children, not years ("a father of three", "a grandmother of five")
_KIN_OF_CHILDREN = frozenset({"parent", "grandparent", "great_grandparent", "step_parent", "single_parent"})
_MOST_CHILDREN = 12  # more is an age: "a grandmother of 80"
# words of a child's kin, after which one digit or a number of months is an age ("my son 7", "baby
# girl 6 months"), where after "girl" it may be a label ("girl 2, boy 3")
_KIN_OF_A_CHILD = frozenset(
    {"offspring", "niece_nephew", "grandchild", "great_grandchild", "godchild", "step_child", "baby_child", "sibling"}
)


def _kin_of_a_child(noun: _Match | None) -> bool:
    """Whether `noun` is a child's kin word, after which one digit or months are an age too."""
    return noun is not None and bool(noun.entry.categories & _KIN_OF_A_CHILD)


# the word right after an adjective, across spaces only
_NOUN_AFTER_ADJECTIVE = re.compile(r"[ \t]+([a-z]+)")
# a copula between a person and what is said of them: "she is black", "the man was white"
_COPULAS = frozenset({"is", "are", "was", "were", "'s", "’s"})
# between a subject pronoun and the noun that says what its person is: "he is a fisherman", "she's a nurse"
_PREDICATE_GAP = re.compile(
    r"(?:[ \t]+(?:is|was)|['’]s)[ \t]+"
    r"(?:(?:an?|the)[ \t]+(?:(?!(?:of|with|for|to|and|or|like|than|as|by|from|in|on|at|about)\b)[a-z-]+,?[ \t]+){0,2})?"
)
# what may stand between modifiers said of one person ("an old, Irish fisherman")
_MODIFIER_GAP = re.compile(r"[ \t]*,?[ \t]+")
# categories of words said of a person, never the person: "an old, black ..." holds no subject
_MODIFIER_CATEGORIES = frozenset({"adjective", "years_old", "years_old_predicate", "decade", "aged_n"})
# words before a decade that keep it an age: "in her teens", "in their late teens", "mid teens"
_DECADE_OPENERS = frozenset({"in", "early", "mid", "late", "her", "his", "their", "my", "your", "our", "its"})
# times a group spends together: "a Filipino family karaoke night", "a Korean family dinner"
_TIMES_TOGETHER = frozenset(
    {
        "night",
        "day",
        "evening",
        "morning",
        "afternoon",
        "weekend",
        "holiday",
        "dinner",
        "lunch",
        "breakfast",
        "picnic",
        "vacation",
        "trip",
        "outing",
    }
)
# the attributes whose word before a gathering describes the people in it (`_of_gathering`)
_GATHERED_ATTRIBUTES = frozenset({"ethnicity", "religion", "skin", "gender"})
_POSSESSIVE_THEN = re.compile(r"(?:'s|’s|'|’)[ \t]+([a-z][a-z \t-]*)")
_DENIED = re.compile(r"(?<![\w'’-])(?:no|without(?:[ \t_]+any)?)[ \t_]+$")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_COUNT_WORDS = frozenset(
    {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twin", "many", "few"}
)
_ARTICLE_AN = re.compile(r"(?<![\w'’-])([Aa])[Nn](?=[ \t]+$)")


@functools.lru_cache(maxsize=1024)
def _places(forms: tuple[str, ...]) -> dict[str, int]:
    """Each form's place among `forms` by its surface key (the first place of a repeated key):
    thousands of first names are keyed once, not once per word read."""
    places: dict[str, int] = {}
    for i, form in enumerate(forms):
        places.setdefault(surface_key(form), i)
    return places


def _one_space(blank: str) -> str:
    """The whitespace next to a slot as every candidate writes it: one space, or one line break
    where the user broke the line (rules read a line break as the end of a phrase, so it stays)."""
    if not blank:
        return ""
    return "\n" if "\n" in blank else " "


def _depicts_person(heads: list[str]) -> bool:
    """Whether a noun phrase ends in pictures of the person named before them ("an African American
    family photo", "an old man statue", "female knight concept art", "male character design"): the
    modifier before describes that person."""
    end = len(heads)
    while end > 1 and (is_depiction(heads[end - 1]) or is_picture(heads[end - 1])):
        end -= 1
    word = heads[end - 1] if end < len(heads) else ""
    return is_person_head(word) and not is_likeness(word) and word not in _STYLE_HEADS


_STYLE_HEADS = frozenset({"folk"})
"""Person nouns that, before a picture, name its style: "Austrian folk art" shows no folk."""
# the end of a weighted word: "(Roma:1.2)", "((Maya))"
_WEIGHT_AFTER = re.compile(r"(?::[ \t]*[\d.]+)?[)\]}]+")
# what a team's fans wear, wave or go to, after its name: "a Cowboys jersey", "a Kings game"
_TEAM_THINGS = frozenset(
    {
        *("jersey", "jerseys", "shirt", "shirts", "t-shirt", "hoodie", "cap", "caps", "hat", "beanie", "scarf"),
        *("helmet", "helmets", "mascot", "mascots", "fan", "fans", "game", "games", "logo", "logos", "flag"),
        *("pennant", "stadium", "season", "tailgate", "cheerleader", "cheerleaders", "merch", "sticker", "decal"),
    }
)


def _verb_after_person(word: str, verb: str) -> bool:
    """Whether a word read in a modifier's phrase is a person noun in the singular ("chef", not
    "chefs" or "police") and the word after it a present verb: its verb, never a noun it modifies
    ("a young chef slices tuna"; "a chef slices" is no phrase, whose article would be plural). Not
    an animal's plural: "Indian runner ducks" are a breed."""
    if word == _NO_PERSON or word.endswith("s") or verb not in present_verbs() or not is_person_head(word):
        return False
    return not (verb[:-1] in animal_heads() or verb[:-2] in animal_heads())


def _possessive_written_plain(word: str) -> bool:
    """Whether a word is a singular person noun with an "s" and no apostrophe ("silversmiths",
    "fishermans"), as a possessive before a body part is often typed."""
    return len(word) > 3 and word.endswith("s") and not word.endswith("ss") and is_person_noun(word[:-1])


def _bare(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


def canonical_prompt(prompt: str, taxonomy: Taxonomy | None = None) -> str:
    """The user's prompt as it is sent among the candidates: every sensitive word in its
    canonical form, emoji neutral, spacing next to slots normalised (`CandidateSet.true_prompt`)."""
    template = detect(prompt, taxonomy)
    assert template.true_values is not None
    return template.render(template.true_values)


def _few_words_of_a_phrase(words: list[str]) -> bool:
    """Whether the words between two slots keep them in one noun phrase: three at most, none a
    function word ("young ... African woman", "his two sons"; not "a woman with a man")."""
    return len(words) <= 3 and not any(w in FUNCTION_WORDS for w in words)


def _plural_of(word: str, english: frozenset[str], taxonomy: Taxonomy) -> bool:
    """Whether `word` is the plural of an English word that is no word of the taxonomy ("ladles",
    "ladle"); "ladys" is the plural of "lady", a taxonomy word, so it may still be a typo."""
    for stem in (word[:-1], word[:-2]) if word.endswith("es") else (word[:-1],) if word.endswith("s") else ():
        if stem in english:
            return stem not in taxonomy.lexicon
    return False


class _Detector:
    def __init__(self, text: str, taxonomy: Taxonomy) -> None:
        self.max_free = _MAX_FREE_PRONOUNS  # lowered by `template` where the set grows past its limit
        self.text = text
        self.folded = fold(text)
        self.taxonomy = taxonomy
        self.binding = binding()
        self.matches = [
            _Match(i, m.start(), m.end(), taxonomy.lexicon[surface_key(m.group())])
            for i, m in enumerate(taxonomy.matcher.finditer(self.folded))
        ]
        self._accented_names()  # before typos: "agéd 5" is the form "aged 5", not a typo of "aged"
        self._typos()
        self._generator_label()
        self._slang_after_person()
        self._kin_after_possessive()
        self._decades_as_persons()
        self._joined_peoples()
        self._regional_peoples()
        self._pairs()
        self._bare_ages()
        self._age_ranges()
        self._index()
        self._idiom_objects: set[int] = set()  # idioms that name an object (`_bind`)
        self._known_starts: set[int] = set()  # where a known person's full name starts (`_bind`)

    @functools.cached_property
    def plain(self) -> str:
        """The folded text without accents, one character for one (offsets stay valid): the rules
        that read the words around a slot read it, since an accent hides nothing ("tëens", "biker
        chïck", "Chinesé-Malaysian")."""
        return unaccented(self.folded)

    def _index(self) -> None:
        for i, match in enumerate(self.matches):
            match.index = i
        self.starts = {m.start: i for i, m in enumerate(self.matches)}
        self.ends = {m.end: i for i, m in enumerate(self.matches)}

    def template(self) -> Template:
        self._bind()
        for match in self.matches:
            if not match.category:
                match.category = self._category(match)
            match.article = self._article_before(match.start)
        self._agree()
        for fewer in (_MAX_FREE_PRONOUNS, *_FEWER_FREE_PRONOUNS):
            self.max_free = fewer
            for match in self.matches:
                match.variable = -1
            variables = self._variables()
            order = sorted(range(len(variables)), key=lambda v: variables[v].first)
            new_index = {old: new for new, old in enumerate(order)}
            attributes = self._attributes(variables, order, new_index, self._slot_categories(variables))
            if (
                not any(a.agrees_with for a in attributes)
                or _count_attributes(attributes, self.taxonomy) <= _FREE_SET_LIMIT
            ):
                break  # read from the template's shape only, the same for every member of its set
        for match in self.matches:
            match.variable = new_index[match.variable]
        values = tuple(variables[old].value for old in order)
        for attribute, value in zip(attributes, values, strict=True):
            if value not in attribute.values:  # e.g. a mixed pair form joined to a word that has no mixed form
                raise InvalidInputError(
                    f"this prompt cannot be rewritten consistently: the words for one {attribute.kind} "
                    f"({attribute.name}) have no common form for '{value}'; reword it"
                )
        return Template(self._parts(attributes), attributes, self.taxonomy, values)

    def _slot_categories(self, variables: list[_Variable]) -> dict[int, set[str]]:
        """Per variable, the categories of every slot of its person (of that attribute): its values
        must render in all of them (a partial value such as the mixed gender of a plural is a value
        only of a person whose slots are all plurals)."""
        parent = list(range(len(variables)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        first_of: dict[tuple[int, int], int] = {}
        for i, variable in enumerate(variables):
            j = first_of.setdefault((variable.kind, variable.person), i)
            parent[root(i)] = root(j)
        by_root: dict[int, set[str]] = {}
        for match in self.matches:
            by_root.setdefault(root(match.variable), set()).add(match.category)
        return {i: by_root.get(root(i), set()) for i in range(len(variables))}

    # --- typos ---------------------------------------------------------------------------

    def _pairs(self) -> None:
        """Two plurals of one category joined by "and" are one group, as the pair forms say ("men
        and women"), also where a spelling kept them apart ("chaps and chapsa"): a candidate
        renders them as a pair form, which must read back as the same one slot."""
        merged: list[_Match] = []
        unsummed: set[int] = set()
        for match in self.matches:
            previous = merged[-1] if merged else None
            if previous is not None and not previous.entry.is_pronoun and not match.entry.is_pronoun:
                pair = self._pair(previous, match) or self._tag_pair(previous, match)
                if pair is not None:
                    merged[-1] = _Match(0, previous.start, match.end, pair)
                    continue
                if self._side_by_side_counts(previous, match):
                    unsummed |= {previous.start, match.start}
            merged.append(match)
        # count tags side by side whose sum no tag says ("2boys 2boys 3girls"): rendered apart, one
        # candidate's tags would run into the next ones ("2girls 2boys" reads as one tag), so they
        # stay as written
        self.matches = [m for m in merged if m.start not in unsummed]

    def _pair(self, first: _Match, second: _Match) -> SurfaceEntry | None:
        if first.entry.attribute != second.entry.attribute or self.folded[first.end : second.start].split() != ["and"]:
            return None
        spec = self.taxonomy.attributes[first.entry.attribute]
        for category in sorted(first.entry.categories & second.entry.categories):
            if "plural" not in category:
                continue
            key = surface_key(
                f"{spec.canonical(first.entry.value, category)} and {spec.canonical(second.entry.value, category)}"
            )
            entry = self.taxonomy.lexicon.get(key)
            if entry is not None and category in entry.categories:
                return entry
        return None

    def _age_of_weeks(self, match: _Match) -> bool:
        """Whether `match` is an adult age adjective right after weeks or days ("3 weeks old"): part
        of an infant's age; a noun there stays one ("in those days women wore hats")."""
        spec = self.taxonomy.attributes[match.entry.attribute]
        if spec.name != _ADULT_AGE or "adjective" not in match.entry.categories:
            return False
        return _SHORT_AGE_UNIT.search(self.folded, max(0, match.start - 12), match.start) is not None

    def _side_by_side_counts(self, first: _Match, second: _Match) -> bool:
        """Whether two booru count tags stand with only white space between them."""
        return (
            any(c.startswith("tag_") for c in first.entry.categories)
            and any(c.startswith("tag_") for c in second.entry.categories)
            and self.folded[first.end : second.start].isspace()
        )

    def _tag_pair(self, first: _Match, second: _Match) -> SurfaceEntry | None:
        """Two booru count tags side by side ("1girl 3girls") are one count tag of their sum: a
        candidate rendering them "1girl 3boys" would read back as that one mixed tag."""
        if first.entry.attribute != second.entry.attribute or not self._side_by_side_counts(first, second):
            return None
        counts = []
        for entry in (first.entry, second.entry):
            tags = sorted(c for c in entry.categories if c == "tag_single" or c.startswith("tag_plural_"))
            if not tags or not (tags[0] == "tag_single" or tags[0].rpartition("_")[2].isdigit()):
                return None
            counts.append(1 if tags[0] == "tag_single" else int(tags[0].rpartition("_")[2]))
        spec = self.taxonomy.attributes[first.entry.attribute]
        value = first.entry.value if first.entry.value == second.entry.value else "mixed"
        forms = spec.forms.get(value, {}).get(f"tag_plural_{sum(counts)}")
        return self.taxonomy.lexicon.get(surface_key(forms[0])) if forms else None

    def _accented_names(self) -> None:
        """A word with accents that the taxonomy does not hold is the word its unaccented spelling
        is, when the taxonomy holds that one: a first name ("Zoë" is "Zoe": a name list never holds
        every way to accent a name), or any other form with an accent put on it to slip past
        detection ("bôy", "hïs", "öld", "agéd 5"): the taxonomy is matched on the unaccented text
        too. Words that no form is unaccented keep their meaning ("café")."""
        if self.text.isascii():
            return
        plain = self.plain
        if plain == self.folded:
            return
        taken = [(m.start, m.end) for m in self.matches]
        found: list[_Match] = []
        replaced: set[tuple[int, int]] = set()
        for hit in self.taxonomy.matcher.finditer(plain):
            start, end = hit.span()
            if plain[start:end] == self.folded[start:end]:
                continue  # no accent in it
            overlapping = [(s, e) for s, e in taken if s < end and start < e]
            if any(s < start or e > end or (s, e) == (start, end) for s, e in overlapping):
                continue  # a word read already, or part of a longer one
            # a longer form than the words read inside it ("14 yëar old" over "old"), as without accents
            replaced.update(overlapping)
            key = surface_key(hit.group())
            found.append(_Match(0, start, end, self.taxonomy.lexicon[key], surface=key))
        if found:
            kept = [m for m in self.matches if (m.start, m.end) not in replaced]
            self.matches = sorted([*kept, *found], key=lambda m: m.start)

    def _generator_label(self) -> None:
        """The label before the first colon of a line that names an image or video generator
        (`binding.json`, ``generators``: "Kling: close up of ...", "Sora: a woman walking",
        "runway gen-3: ...", "Kling 1.6 image to video: ...") names a tool, no person: "Kling" had
        been read as a typo of "king", the user's own candidate sent "King:" and a decoy "Queen:",
        and "Sora" as a first name. Reads the words of the label only, never a value."""
        drop = generator_labels(self.folded)
        if drop:
            self.matches = [m for m in self.matches if not any(a <= m.start < b for a, b in drop)]

    def _typos(self) -> None:
        """A word one edit away from sensitive words of one meaning only ("womn", "eldery", "yung",
        "gril") is read as the likeliest of them, when it is no English word itself ("mad" is
        never "man") and both have at least four letters, but not one letter put for another in
        four (`_short_substitution`). It renders in its canonical form."""
        index = _typo_index(self.taxonomy)
        if not index:
            return
        english = english_words()
        starts = [m.start for m in self.matches]
        found: list[_Match] = []
        for word in _TYPO_WORD.finditer(self.folded):
            typed = unaccented(word.group())  # an accent put on a typo hides neither ("ëldery")
            if len(typed) < _TYPO_MIN or typed in english or typed in self.taxonomy.lexicon:
                continue
            if _plural_of(typed, english, self.taxonomy):
                continue  # "ladles hanging": the plural of an English word ("ladle"), none of the taxonomy's
            if typed in cue_table().implications:
                continue  # a word of the cue table is a word of its own ("barong" is no "baron")
            position = bisect.bisect_right(starts, word.start())
            if position and self.matches[position - 1].end > word.start():
                continue  # inside a taxonomy word
            if position and self._after_first_name(self.matches[position - 1], word.start()):
                continue  # a surname's place: "Paris Qing", "Emma Yung" (as "Emma King" is)
            if self._proper_noun_place(word.start(), word.end()):
                continue
            ranked = _typo_targets(typed, index)
            entries = {(self.taxonomy.lexicon[t].attribute, self.taxonomy.lexicon[t].value) for t in ranked}
            if len(entries) == 1 and self._proper_noun_case(word.start(), ranked[0]):
                continue
            if len(entries) == 1 and self._stands_alone(word.start(), word.end(), ranked[0]):
                # one meaning; its likeliest form: a letter left out ("womn": "woman")
                found.append(_Match(0, word.start(), word.end(), self.taxonomy.lexicon[ranked[0]], surface=ranked[0]))
        if found:
            self.matches = sorted([*self.matches, *found], key=lambda m: m.start)

    def _slang_after_person(self) -> None:
        """A slang noun that names a person only after a person noun ("surfer chick", "biker
        chick") or a word no English list knows ("netrunner chick") is read as the taxonomy word it
        maps to (`binding.json`, ``after_a_person_noun``), which its slot renders; after an animal,
        a taxonomy word or any other word it is left alone ("penguin chicks", "a baby chick", "a
        fluffy chick"). Reads the fixed word before, never a slot."""
        english = english_words()
        starts = [m.start for m in self.matches]
        found: list[_Match] = []
        plain = self.plain  # an accent hides nothing: "biker chïck"
        for slang, word in self.binding.after_a_person_noun:
            entry = self.taxonomy.lexicon.get(surface_key(word))
            if entry is None:
                continue
            for hit in re.finditer(rf"(?<![\w'’-]){re.escape(slang)}(?![\w'’-])", plain):
                position = bisect.bisect_right(starts, hit.start())
                if position and self.matches[position - 1].end > hit.start():
                    continue
                before = _WORD_BEFORE_SLANG.search(plain, max(0, hit.start() - 40), hit.start())
                if before is None or (position and self.matches[position - 1].end > before.start(1)):
                    continue  # no word before, or a taxonomy word ("a baby chick", "mother hen's chicks")
                noun = before.group(1)
                if noun in object_heads() or not (is_person_noun(noun) or noun not in english):
                    continue
                found.append(_Match(0, hit.start(), hit.end(), entry, surface=surface_key(word)))
        if found:
            self.matches = sorted([*self.matches, *found], key=lambda m: m.start)

    def _kin_after_possessive(self) -> None:
        """An informal kin noun that names a person only right after a possessive determiner ("my
        nan's kitchen", "his ma") is read as the taxonomy word it maps to (`binding.json`,
        ``after_a_possessive``), which its slot renders; anywhere else it is left alone ("nan
        bread", "a PA system", "Nan Goldin"). Reads the fixed word before, or a pronoun slot's
        kind ("his", "her"), never a value."""
        starts = [m.start for m in self.matches]
        found: list[_Match] = []
        for slang, word in self.binding.after_a_possessive:
            entry = self.taxonomy.lexicon.get(surface_key(word))
            if entry is None:
                continue
            for hit in re.finditer(rf"(?<![\w'’-]){re.escape(slang)}(?![\w-]|['’](?!s\b))", self.plain):
                position = bisect.bisect_right(starts, hit.start())
                held = self.matches[position - 1] if position else None
                if held is not None and held.end > hit.start() and held.entry.categories != {"first_name"}:
                    continue  # another word's; a name read here ("Nan" the name) gives way
                if POSSESSIVE_BEFORE.search(self.plain, max(0, hit.start() - 8), hit.start()) is None:
                    continue
                found.append(_Match(0, hit.start(), hit.end(), entry, surface=surface_key(word)))
        if found:
            spans = {(m.start, m.end) for m in found}
            kept = [m for m in self.matches if (m.start, m.end) not in spans]
            self.matches = sorted([*kept, *found], key=lambda m: m.start)

    def _decades_as_persons(self) -> None:
        """A decade form that names persons ("a group of teens", "two teens skateboarding") where no
        possessive, "early", "mid", "late" or "in" stands before it ("in her teens" is an age) is
        read as the word it maps to (`binding.json`, ``decade_as_persons``), which its slot renders."""
        for i, match in enumerate(self.matches):
            # an accent hides nothing: "a group of tëens" is read through its form
            key = match.surface or surface_key(self.folded[match.start : match.end])
            word = self.binding.decade_as_persons.get(key)
            entry = self.taxonomy.lexicon.get(surface_key(word)) if word else None
            if word is None or entry is None or "decade" not in match.entry.categories:
                continue
            before = _WORD_BEFORE_SLANG.search(self.plain, max(0, match.start - 40), match.start)
            if before is not None and before.group(1) in _DECADE_OPENERS:
                continue
            self.matches[i] = _Match(match.index, match.start, match.end, entry, surface=surface_key(word))

    def _after_first_name(self, previous: _Match, start: int) -> bool:
        """Whether the word at `start` follows the first name `previous` across spaces only: where
        a surname stands. A name slot renders other first names, so every candidate reads alike."""
        return "first_name" in previous.entry.categories and not self.folded[previous.end : start].strip(" \t")

    def _proper_noun_case(self, start: int, form: str) -> bool:
        """Whether an unknown word is written as a proper noun rather than as a typo of `form`: with
        a capital inside a phrase where every form of its kind is written in lower case ("a Qing
        dynasty emperor" is no "king"); a capitalised people ("Québécoise") or a capital at a phrase
        start ("Womn in red", "masterpiece, Womn") is still read. Reads the word's own letter and
        the character before it, never another slot's (after one it is mid-phrase), so every
        candidate decides alike."""
        if not self.text[start].isupper():
            return False
        window = self.text[max(0, start - 40) : start]
        before = window.rstrip(" \t")
        at = start - (len(window) - len(before)) - 1  # the character before
        if any(m.start <= at <= m.end for m in self.matches):
            return True  # after a word that may be a slot ("Mr." or "Miss"): mid-phrase, however it renders
        if not before or before[-1] in SENTENCE_END or before[-1] in _PHRASE_OPENERS:
            return False
        entry = self.taxonomy.lexicon[form]
        spec = self.taxonomy.attributes[entry.attribute]
        return not any(c.isupper() for category in entry.categories for c in _canonical_firsts(spec, category))

    def _proper_noun_place(self, start: int, end: int) -> bool:
        """Whether an unknown word stands where a lower-case proper noun does rather than a typo: after
        an artist marker ("by brom"), right after "of" ("cliffs of moher"), or as a whole tag of
        its own ("new year, sapa")."""
        if self._artist(start) or _OF_BEFORE.search(self.folded, max(0, start - 8), start):
            return True
        return self._whole_tag(start, end)

    def _whole_tag(self, start: int, end: int) -> bool:
        """Whether folded[start:end] is all of its tag (between commas, bars, brackets or the ends)."""
        left = max(self.folded.rfind(mark, 0, start) for mark in _TAG_MARKS) + 1
        right = min((at for mark in _TAG_MARKS if (at := self.folded.find(mark, end)) >= 0), default=len(self.folded))
        return not self.folded[left:start].strip() and not self.folded[end:right].strip()

    def _joined_peoples(self) -> None:
        """Two capitalised peoples joined by a hyphen that no form holds ("Chinese-Jamaican",
        "Irish-Nigerian"): one word of their attribute, read as the first (the heritage, as in
        "Korean-American") and rendered in its canonical form, so neither is sent in clear."""
        starts = [m.start for m in self.matches]
        found: list[_Match] = []
        plain = self.plain  # an accent hides neither ("Chinesé-Malaysian")
        for joined in _JOINED.finditer(plain):
            if surface_key(joined.group()) in self.taxonomy.lexicon:
                continue
            capitalised = self.text[joined.start(1)].isupper() and self.text[joined.start(2)].isupper()
            if not capitalised and not self._whole_tag(joined.start(), joined.end()):
                continue  # "1girl, yukata, japanese-brazilian, festival": a tag of its own
            position = bisect.bisect_right(starts, joined.start())
            if position and self.matches[position - 1].end > joined.start():
                continue
            if position < len(starts) and starts[position] < joined.end():
                continue
            first = surface_key(joined.group(1))
            entries = [self.taxonomy.lexicon.get(first), self.taxonomy.lexicon.get(surface_key(joined.group(2)))]
            if any(e is None or "adjective" not in e.categories for e in entries):
                continue
            if entries[0].attribute != entries[1].attribute:  # type: ignore[union-attr]
                continue
            found.append(_Match(0, joined.start(), joined.end(), entries[0], surface=first))  # type: ignore[arg-type]
        if found:
            self.matches = sorted([*self.matches, *found], key=lambda m: m.start)

    def _regional_peoples(self) -> None:
        """A word of a people after a word of a region ("South Asian", "East German", "Southern
        Italian", "West Africans"): one word of its attribute, read as the people and rendered in
        its canonical form. Read as a fixed compass word before a slot, it had gone out as "South
        Caucasian" or "East Hispanic", decoys no one writes; as forms of their own, "East German"
        would render "East Asian", another form, and be refused."""
        ethnicity = {i for i, spec in enumerate(self.taxonomy.attributes) if spec.name == "ethnicity"}
        ends = {m.end for m in self.matches}
        for i, match in enumerate(self.matches):
            if match.entry.attribute not in ethnicity or not match.entry.categories & {"adjective", "noun_plural"}:
                continue
            region = _REGION_BEFORE.search(self.plain, max(0, match.start - 24), match.start)
            if region is None or region.start() in ends or any(e > region.start() for e in ends if e <= match.start):
                continue
            entry, surface = match.entry, match.surface or surface_key(self.folded[match.start : match.end])
            spec = self.taxonomy.attributes[entry.attribute]
            people = _REGIONAL_VALUES.get((region.group(1), self.plain[match.start : match.end].rstrip("s")))
            if people in spec.values:  # "South Asian" is the people of "Indian", not of "Asian"
                category = sorted(entry.categories & {"adjective", "noun_plural"})[0]
                surface = surface_key(spec.canonical(people, category))
                entry = self.taxonomy.lexicon.get(surface, entry)
            self.matches[i] = _Match(0, region.start(), match.end, entry, surface=surface)

    def _stands_alone(self, start: int, end: int, form: str) -> bool:
        """Whether every form a typo's slot may render stays one word where it stands: "0 year oldher"
        read as "older" would render "0 year old", another form (a candidate would not read back)."""
        entry = self.taxonomy.lexicon[form]
        spec = self.taxonomy.attributes[entry.attribute]
        before, after = self.folded[max(0, start - 40) : start], self.folded[end : end + 40]
        if before.endswith(" and ") or after.startswith(" and "):
            return True  # a pair of plurals: one group slot (`_pairs`)
        for value in spec.values:
            for category in entry.categories & spec.forms[value].keys():
                word = fold(spec.canonical(value, category))
                found = self.taxonomy.matcher.finditer(before + word + after)
                if not any(m.span() == (len(before), len(before) + len(word)) for m in found):
                    return False
        return True

    def _said_after(self, person: _Match, at: int) -> bool:
        """Whether `at` follows the words of `person` with no other person noun between ("a Czech
        woman, blonde, around 25"; not "a tiny violinist, maybe 11, the conductor a woman")."""
        return person.end <= at and not any(
            is_person_noun(_bare(word.group())) for word in _WORD.finditer(self.folded, person.end, at)
        )

    def _bare_ages(self) -> None:
        """An age written as a bare number after a person ("a woman, 45, sitting", "a boy of about
        six", "a man over 70", "a woman around forty, reading", "a man (45)") is read as "45 years
        old" (that form renders in every candidate); a number that a noun follows is a count or a
        measure ("a man over 70 countries") and stays."""
        if not self.matches and not any(c.isdigit() for c in self.folded):
            return
        ends = {m.end: m for m in self.matches}
        starts = {m.start for m in self.matches}
        found: list[_Match] = []
        sole = self._sole_person()
        for bare in _BARE_AGE.finditer(self.plain):  # "a boy of about sìx"
            if bare.group("c") and _THOUSANDS.match(self.plain, bare.end("c")):
                continue  # "50,000 fans": a count
            if bare.group("verb") and (bare.group("verb") not in present_verbs() or bare.start() not in ends):
                continue  # "a man of 70 countries", "a collector of 70 stamps": a count
            at = bare.start()
            place = _PLACE_AFTER_PERSON.search(self.text, 0, at) if bare.group("c") and at not in ends else None
            if place is not None and any(place.start() < m.start < at for m in self.matches):
                place = None  # a person's words, no place: "a card of Grandma Rose, 92,"
            if place is not None and not _PLACE_AFTER_PERSON.search(self.text, 0, place.start()):
                at = place.start()  # "a dancer from Senegal, 22," (not "a photo of Auntie Ngozi, 62,")
            after_me = _ME_BEFORE.search(self.folded, max(0, at - 16), at) is not None  # "me 24", "me, 25,"
            noun = ends.get(at)
            if noun is None and (weight := _WEIGHT_BEFORE.search(self.text, max(0, at - 16), at)) is not None:
                noun = ends.get(weight.start())  # "(kid:1.2) about six", "((old man)), 80,"
            if noun is None and (bare.group("c") or bare.group("a")):  # "Señora López, 70,", "Mr. Tanaka at 82"
                for pattern in _NAME_BEFORE:  # one name word, then two ("of Grandma Rose, 92,")
                    name = pattern.search(self.text, 0, at)
                    named = ends.get(name.start()) if name is not None else None
                    if named is not None and self.text[named.start : named.start + 1].isupper():
                        noun = named
                        break
            if bare.group("i"):
                if noun is not None and noun.entry.is_pronoun and "subject_pronoun" not in noun.entry.categories:
                    continue  # "a man saw her is ..."
                if noun is not None and any("plural" in c for c in noun.entry.categories):
                    continue
                if noun is None:  # "The pensioner is maybe seventy-five,": a person noun no slot holds
                    before = _LAST_WORD.search(self.folded, 0, at)
                    if before is not None and before.group() in ("i", "me"):
                        pass  # "i'm 16", "i am like 40", "make me look 25": the user's own age
                    elif before is not None and _YOU_SHOWN.search(self.folded, max(0, at - 80), before.end()):
                        pass  # "POV: you're 8 and your mom says ...": the one the meme shows
                    elif before is not None and before.group() == "we" and bare.group("all"):
                        pass  # "me and my boyfriend, we're both 29": the user's and their partner's one age
                    elif before is None or not is_person_noun(before.group()) or before.group().endswith("s"):
                        continue  # "the price is 80"
            elif bare.group("n"):
                if not TWO_DIGITS.fullmatch(bare.group("n")) and not _kin_of_a_child(noun):
                    continue  # "girl 2, boy 3": labels ("my son 7", "my niece 18 months" are ages)
                if noun is None and after_me:
                    pass  # "me 24 and my boyfriend 27": the user's own age
                elif noun is None or noun.entry.is_pronoun:
                    continue  # "size 10"
                elif any("plural" in c for c in noun.entry.categories) and not _RANGE_AFTER.match(
                    self.plain, bare.end("n")
                ):
                    continue  # "the men 20": no person's age; "extras, men 18-30": a range is each one's
            elif (
                noun is None
                and sole is not None
                and (bare.group("c") or (bare.group("w") and self._said_after(sole, at)))
                and not after_me
            ):
                # "a Yoruba bride in aso-oke and gele, 29, Lagos wedding", "1girl, solo, ..., 15",
                # "a Czech woman, blonde, around 25, reading"
                noun = sole
            elif noun is None and bare.group("c") and (solo := self._solo_tag_person(bare.start("c"), bare.end("c"))):
                noun = solo  # "1boy, solo, old man, grandfather, ..., candles, 90,": the character's age
            elif noun is None:
                # a person noun that is no slot: "a retired schoolteacher, 72, gardening"
                before = _LAST_WORD.search(self.folded, 0, at)
                # "toddler twins (2)": twins share one age, as "both" says
                each = bare.group("each") or bare.group("both") or (before is not None and before.group() in _TWINS)
                # "a pic of me, 25, as a pin-up", "me at 40": the user's own age
                # ... "me now at 65", "me then at 20"
                user = after_me and not each
                if before is None or not (user or is_person_noun(before.group())):
                    continue
                if before.group().endswith("s") and not each:
                    continue
                if before.group() in GROUP_NOUNS and not each:
                    continue  # "a family of five": a count; "an old couple, both 84": the couple's age
                if each:  # the group's own age word: "an old couple (both 84)" is old in every candidate
                    noun = next((m for m in self.matches if m.end in (before.start() - 1, before.start())), None)
            elif (noun.entry.is_pronoun and not _AT_AGE_OF_PRONOUN.match(self.plain, bare.start())) or (
                any("plural" in c for c in noun.entry.categories)
                and not (bare.group("each") or bare.group("both"))
                and _TWIN_BEFORE.search(self.folded, max(0, noun.start - 8), noun.start) is None
            ):
                continue  # "the men, 3, standing": a count; "an old couple (both 84)", "twin girls, 5,": their age
            group = next(g for g in ("c", "w", "o", "a", "b", "n", "i") if bare.group(g))
            if group == "o" and noun is not None and noun.entry.categories & _KIN_OF_CHILDREN:
                number = parse_number(bare.group(group))
                if number is not None and number[1].isdigit() and int(number[1]) <= _MOST_CHILDREN:
                    continue  # "a father of three", "a grandmother of five": a count of children
            if bare.start(group) in starts:
                continue  # "a man of 75 years old": the taxonomy's own form
            form = bare_form(bare.group(group))
            entry = self.taxonomy.lexicon.get(form)
            if entry is None:
                continue
            found.append(
                _Match(
                    0,
                    bare.start(group),
                    bare.end(group),
                    entry,
                    surface=form,
                    bare=bare.group(group),
                    owner=noun,
                    bare_two_digits=group == "n" and not _kin_of_a_child(noun),
                )
            )
        if found:
            self.matches = sorted([*self.matches, *found], key=lambda m: m.start)
        self._coordinated_ages()

    def _age_ranges(self) -> None:
        """An adult's age written as a range ("a woman, 20-25", "aged 25 to 30", "40-45 years old",
        "approx 25-30 yrs") is one slot read by its lower bound: every candidate renders its own
        number there and that number plus the user's width ("40-45", "70-75": `keep.range_key`), so
        the upper bound no longer goes out in clear beside a decoy's lower one ("70-30"). A child's
        range stays as it was read ("aged 8-10": its lower bound is a word of the child's age
        attribute, whose rows render no range), as does any number that is no age (a count, a size:
        a range after a word that is no age's)."""
        if not any(c.isdigit() for c in self.folded):
            return
        adult = next((i for i, a in enumerate(self.taxonomy.attributes) if a.name == _ADULT_AGE), None)
        if adult is None:
            return
        for found in _HYPHEN_RANGE.finditer(self.plain):  # "aged 25-30", "40-45 years old": no word of the taxonomy
            lower, upper = int(found.group("a")), int(found.group("b"))
            surface = f"{found.group('pre') or ''}{found.group('a')}{found.group('unit') or ''}"
            entry = self.taxonomy.lexicon.get(surface_key(surface))
            if entry is None or entry.attribute != adult or not lower < upper:
                continue
            start, end = found.start(), found.end()
            self.matches = sorted(
                [m for m in self.matches if m.end <= start or m.start >= end]  # "aged" of "aged 25-30" is no adjective
                + [
                    _Match(
                        0,
                        start,
                        end,
                        entry,
                        surface=surface,
                        range_separator=found.group("sep"),
                        range_width=upper - lower,
                    )
                ],
                key=lambda m: m.start,
            )
        taken = {m.start for m in self.matches} | {m.end for m in self.matches}
        ranged: list[_Match] = []
        for match in self.matches:
            if match.entry.attribute != adult or match.range_width:
                ranged.append(match)
                continue
            written = self.folded[match.start : match.end]
            tail = _DIGITS_AT_END.search(written)
            after = _RANGE_AFTER.match(self.plain, match.end) if tail is not None else None
            if tail is not None and after is not None and after.end() not in taken:
                lower, upper = int(tail.group()), int(after.group(2))
                if lower < upper:
                    match.surface = match.surface or written  # its key is the lower bound's ("aged 25")
                    match.end = after.end()
                    match.range_separator, match.range_width = after.group(1), upper - lower
                ranged.append(match)
                continue
            head = _DIGITS_AT_START.match(written)
            before = _RANGE_BEFORE.search(self.plain, max(0, match.start - 8), match.start) if head else None
            if head is not None and before is not None and before.start() not in taken:
                lower, upper = int(before.group(1)), int(head.group())
                surface = (match.surface or written).replace(head.group(), before.group(1), 1)
                entry = self.taxonomy.lexicon.get(surface_key(surface))
                if entry is not None and entry.attribute == adult and lower < upper:
                    match = replace(
                        match,
                        start=before.start(),
                        entry=entry,
                        surface=surface,
                        bare=match.bare.replace(head.group(), before.group(1), 1) if match.bare else "",
                        range_separator=before.group(2),
                        range_width=upper - lower,
                    )
            ranged.append(match)
        self.matches = ranged

    def _sole_person(self) -> _Match | None:
        """The one person's word of a prompt that names one person and no age ("a Yoruba bride in
        aso-oke and gele, 29, Lagos wedding", "1girl, solo, quinceañera, ball gown, pink, 15"; with
        no gender word, a people's word before a person noun in the singular: "a 6ft Somali model in
        a silk hijab, 22,"): a bare number between commas there is that person's age. None where a
        pronoun, a plural, a second person word of gender or an age word is in the prompt, but an
        age adjective of the person's own phrase ("old woman, birthday cake, 90, candles": the
        number joins its variable). Reads kinds and positions only."""
        persons = []
        peoples = []
        ages = []
        for match in self.matches:
            if match.entry.is_pronoun or any("plural" in c for c in match.entry.categories):
                return None
            if self._ages(match):
                ages.append(match)
                continue
            name = self.taxonomy.attributes[match.entry.attribute].name
            if name == "gender":
                persons.append(match)
            elif name == "ethnicity" and "adjective" in match.entry.categories:
                # "a 6ft Somali model in a silk hijab, 22,": a people's word before a person noun
                # no slot holds, in the singular, is that person's ("a white apron" is no one's)
                head = _NEXT_WORD.match(self.folded, match.end)
                if head is not None and is_person_noun(head.group(1)) and not head.group(1).endswith("s"):
                    peoples.append(match)
        if not persons:
            return peoples[0] if len(peoples) == 1 and not ages else None
        if len(persons) != 1 or persons[0].rule != ALWAYS:
            return None
        # an age word of the person's own noun phrase is theirs too, and the number joins it ("old
        # woman, birthday cake, 90, candles"); any other age word may be someone else's
        if any("adjective" not in a.entry.categories or not self._in_phrase_before(a, persons[0]) for a in ages):
            return None  # a number of their own ("a 30 year old woman, cafe, 2, latte") says the age already
        return persons[0]

    def _in_phrase_before(self, modifier: _Match, noun: _Match) -> bool:
        """Whether `modifier` stands in `noun`'s phrase right before it, only other slots between
        ("old woman", "old Asian woman")."""
        if modifier.end > noun.start:
            return False
        ends = {m.start: m.end for m in self.matches}
        at = modifier.end
        while at < noun.start:
            while at < noun.start and self.text[at] in " \t":
                at += 1
            if at == noun.start:
                return True
            if at not in ends:
                return False
            at = ends[at]
        return at == noun.start

    def _coordinated_ages(self) -> None:
        """A bare number joined by "and" to a written age is an age too, another person's: "my
        parents, 70 and 68 years old", "two sisters aged 4 and 7", "two brothers, 8 and 11". Each
        is read as its `bare_form` ("N years old", "N months old") and rendered bare, its own
        variable, so the numbers vary apart. Reads the text and the matches' kinds, never a value."""
        if not any(c.isdigit() for c in self.folded):
            return
        spans = [(m.start, m.end) for m in self.matches]
        found: list[_Match] = []

        def add(start: int, end: int) -> None:
            number = self.folded[start:end]
            entry = self.taxonomy.lexicon.get(bare_form(number))
            if entry is None or any(a < end and start < b for a, b in spans):
                return
            spans.append((start, end))
            found.append(_Match(0, start, end, entry, surface=bare_form(number), bare=number))

        anchors = [m for m in self.matches if self._ages(m) and _DIGIT.search(self.folded, m.start, m.end)]
        for match in anchors:
            before = _AGE_BEFORE_AND.search(self.folded, max(0, match.start - 24), match.start)
            if before is not None:
                add(before.start(1), before.end(1))
            after = _AND_AGE_AFTER.match(self.folded, match.end)
            if after is not None:
                add(after.start(1), after.end(1))
        plurals = [m for m in self.matches if any("plural" in c for c in m.entry.categories) and not m.entry.is_pronoun]
        for match in plurals:  # "two brothers, 8 and 11,", "three kids (4, 7 and 11)": after a plural person noun
            said = _PLURAL_ARE_AGES.match(self.folded, match.end)  # "the two kids are 8 and 11"
            if said is not None:
                add(said.start(1), said.end(1))
                add(said.start(2), said.end(2))
            listed = _AGES_AFTER_GROUP.match(self.folded, match.end)
            if listed is not None:
                group = "c" if listed.group("c") else "b"
                for number in _ONE_AGE.finditer(self.folded, listed.start(group), listed.end(group)):
                    add(number.start(), number.end())
        persons = [m for m in self.matches if not m.entry.is_pronoun and not self._ages(m)]
        if plurals or len(persons) >= 2:  # "my 2 daughters ..., they are 4 and 7", "my brother and sister, ..."
            for said in _THEY_ARE_AGES.finditer(self.folded, (plurals or persons[1:])[0].end):
                add(said.start(1), said.end(1))
                add(said.start(2), said.end(2))
        if found:
            self.matches = sorted([*self.matches, *found], key=lambda m: m.start)

    # --- agreement -----------------------------------------------------------------------

    def _agree(self) -> None:
        """A person named by a word only a child can be ("boy", "schoolgirl", "a 9-year-old")
        keeps its adult-age words as written ("a young girl", "a 9-year-old kid"): varied, they
        would give candidates that disagree ("an old girl", "a 9-year-old adult"), and the child
        word tells the age in every candidate anyway. Reads categories and kinds only, never a
        value, so every candidate agrees the same way (docs/privacy.md, "Agreement")."""
        rules = self.binding
        if not rules.adult_ages or not self.matches:
            return
        names = [spec.name for spec in self.taxonomy.attributes]
        child_categories = {
            names.index(name): categories for name, categories in rules.child_categories.items() if name in names
        }
        child_kinds = {names.index(name) for name in rules.child_attributes if name in names}
        adult = {names.index(name) for name in rules.adult_ages if name in names}
        drop: set[int] = set()
        group: list[_Match] = []
        previous: _Match | None = None
        for match in [*self.matches, None]:
            if match is not None and match.entry.is_pronoun:
                continue
            if match is None or previous is None or not self._same_person(previous, match):
                is_child = any(
                    m.entry.attribute in child_kinds or m.category in child_categories.get(m.entry.attribute, ())
                    for m in group
                )
                if is_child:
                    drop.update(m.start for m in group if m.entry.attribute in adult)
                    drop.update(self._child_nouns_told(group, child_kinds))
                group = []
            if match is not None:
                group.append(match)
                previous = match
        drop.update(self._generic_roles_told())
        if drop:
            self.matches = [m for m in self.matches if m.start not in drop]
            self._index()

    def _generic_roles_told(self) -> set[int]:
        """A role noun whose man's form is the role's own name ("hero", "host", "actor", "emperor":
        `AttributeSpec.generic_roles`) right after a gender adjective of the same person ("a female
        hero", "male host", "a female Nigerian emperor") names the role, not a gender: the adjective
        says it and is varied, the noun stays as written ("a male hero", never "a male heroine").
        Reads kinds, categories and the gap between words only, so every candidate agrees alike."""
        told: set[int] = set()
        adjectives: set[int] = set()  # the attributes told by an adjective of the current person
        previous: _Match | None = None
        for match in self.matches:
            if previous is not None and (
                self.folded[previous.end : match.start].strip(" \t") or not self._same_person(previous, match)
            ):
                adjectives = set()  # "mature female, hostess": a tag of its own names her
            kind = match.entry.attribute
            if (
                kind in adjectives
                and match.rule == ALWAYS
                and match.category in self.taxonomy.attributes[kind].generic_roles
            ):
                told.add(match.start)
            elif match.category == "adjective" and not match.entry.is_pronoun:
                adjectives.add(kind)
            previous = match
        return told

    @staticmethod
    def _child_nouns_told(group: list[_Match], child_kinds: set[int]) -> set[int]:
        """A child noun next to a child age of the same person ("a 3-year-old toddler", "a 9-year-old
        kid") stays as written: the age varies, and two child-age words of one person would have to
        differ in every candidate ("a 15-year-old infant"). Reads categories only."""
        kinds = [m for m in group if m.entry.attribute in child_kinds]
        nouns = {m.start for m in kinds if m.entry.categories & _CHILD_NOUN_CATEGORIES}
        return nouns if nouns and len(nouns) < len(kinds) else set()

    # --- binding to a person -------------------------------------------------------------

    def _rule(self, match: _Match, family: frozenset[str] | None = None) -> str:
        """The binding rule of a match, read from its family of categories (the same for every
        value) and, where the family mixes rules, from the category the context picks."""
        family = family if family is not None else match.entry.family
        rules = {self.binding.rule(c) for c in family}
        if TITLE in rules:
            # only a title form is ever rendered in a title slot, so a title is read off the word
            if any(self.binding.rule(c) == TITLE for c in match.entry.categories & family):
                return TITLE
            rules.discard(TITLE)
        if self._child_age_as_noun(match):
            return self.binding.rule("child_noun")  # "holding a newborn,": a person of its own
        if len(rules) == 1:
            return next(iter(rules))
        return self.binding.rule(self._category(match))

    def _bind(self) -> None:
        """Drop the matches that describe no person (docs/privacy.md, "Binding to a person").

        Every decision reads the fixed text and the kinds of the other slots, never the value a
        slot holds, so every candidate is bound the same way."""
        kept: list[_Match] = []
        self.idiom_starts: set[int] = set()
        unbound = self.binding.unbound_in(self.folded, self._other_persons) if self.binding.contexts else frozenset()
        self._idiom_objects = set()  # also read by `_object`, for a noun coordinated with one
        denied_end = -1
        tag = self.binding.nobody_tag
        nobody = (
            tag is not None
            and tag.search(self.folded) is not None
            and not any(c.startswith("tag_") for m in self.matches for c in m.entry.categories)
        )  # a count tag is a person whatever else is said ("1girl, ..., no humans")
        known = [(start, end) for start, end, _ in known_person_spans(self.taxonomy, self.folded)]
        self._known_starts = {start for start, _ in known}  # a person's head for a modifier before it
        self._named = bool(known)  # a person named as written: "Julius Caesar, 55", "Maya, 25" (`_bound`)
        for match in self.matches:
            entry = match.entry
            if any(start <= match.start and match.end <= end for start, end in known):
                # "Julius Caesar in the senate": a person a reader knows, whose name tells the gender
                # whatever a decoy's first name says; sent as written, a strong cue (`cues.find_cues`)
                self.idiom_starts.add(match.start)
                continue
            if self._team_name(match):
                # "a Cowboys jersey", "his Vikings helmet", "a Kings game": a team's name
                self.idiom_starts.add(match.start)
                continue
            if self._people_as_name(match):
                # "tattoo for my wife, our kids names, Maya and Noah": a name, not the Maya people;
                # sent as written, since no first name's decoy pairs with a word of a people
                self.idiom_starts.add(match.start)
                self._named = True
                continue
            if (nobody and not self._shown_in_part(match)) or entry.family & unbound:
                # "nursery for a baby girl, nobody", "no humans, geisha hologram": a tag of its own
                # says that no one is in the picture, so every word names someone who is not
                self.idiom_starts.add(match.start)
                continue
            if not entry.is_pronoun and (
                _DENIED.search(self.folded, max(0, match.start - 16), match.start)
                or (denied_end >= 0 and not self.folded[denied_end : match.start].strip(" \t_-"))
            ):
                # "no children", "without any kids", "no old men", "(no girls:1.2)": denied, no one there
                self.idiom_starts.add(match.start)
                denied_end = match.end
                continue
            if not entry.is_pronoun and in_person_tag(self.taxonomy, self.folded, match.start, match.end):
                self.idiom_starts.add(match.start)  # "1girl, cowboy shot": a framing, no cowboy
                continue
            idiom = in_idiom(
                self.taxonomy,
                self.folded,
                match.start,
                match.end,
                entry.attribute,
                entry.categories,
                match.surface,
                text=self.text,
            )
            if idiom:
                self.idiom_starts.add(match.start)
                if self._object(match) or self._next_token(match.end)[1] in object_heads():
                    self._idiom_objects.add(match.start)  # "a mother duck", "a mother giraffe"
                continue
            said = self.text[match.start : match.end]
            if said.islower() and surface_key(said) in self.binding.lowercase_things:
                self.idiom_starts.add(match.start)  # "a punk with a mohawk": a hairstyle
                continue
            if in_likeness(self.folded, match.start) or in_recreated_meme(self.folded, match.start):
                self.idiom_starts.add(match.start)  # "a statue of an old fisherman": a thing
                continue
            if surface_key(self.plain[match.start : match.end]) in _COMPARATIVE_AGES and _YEARS_BEFORE.search(
                self.plain, max(0, match.start - 24), match.start
            ):
                self.idiom_starts.add(match.start)  # "make my sister look 10 years older": a span, no age
                continue
            if surface_key(self.plain[match.start : match.end]) in ("old", "young") and _NUMBER_OF_YEARS_BEFORE.search(
                self.plain, max(0, match.start - 24), match.start
            ):
                self.idiom_starts.add(match.start)  # "over 300 years old": a number no age form holds
                continue
            if self._age_of_weeks(match):
                self.idiom_starts.add(match.start)  # "a 6 week old son": an infant's age, told as a cue
                continue
            match.rule = self._rule(match)
            if (
                match.rule == CAPITALISED
                and self.text[match.start : match.end].islower()
                and not self._lower_title(match)
            ):
                continue
            if match.rule == CAPITALISED and self._acronym(match):
                continue  # "a newborn in the NICU": an acronym, no name
            if self._nobody_outright and self._names_no_one(match, kept[-1] if kept else None):
                self.idiom_starts.add(match.start)
                continue
            if match.rule == CAPITALISED and "first_name" in entry.categories and self._artist(match.start, match.end):
                continue  # "by Greg Rutkowski", "Wes Anderson style": an artist, not a person in the picture
            if not entry.is_pronoun and self._named_thing(match.start):
                self.idiom_starts.add(match.start)
                self._idiom_objects.add(match.start)  # what a pronoun after it speaks of
                continue  # "a corgi named Kevin", "a parrot named Mrs. Pickles": a pet's or a thing's name
            titled = match.rule == TITLE or bool(entry.categories & self.binding.name_titles)
            if titled and self._before_capitalised(match.end) and self._titled_artist(match):
                continue  # "Raja Ravi Varma style", "by Sir Joshua Reynolds": an artist's title
            if match.rule == TITLE:
                titles = frozenset(c for c in entry.categories if self.binding.rule(c) == TITLE)
                if self._before_capitalised(match.end) and self._title_as_written(match, titles):
                    match.category = sorted(titles)[0]
                    match.rule = TITLE
                else:
                    rest = entry.family - titles
                    if not rest & entry.categories:
                        continue
                    match.rule = self._rule(match, frozenset(rest))
            kept.append(match)
        self._outside_matches = self._blank(self.matches)
        self.matches = kept
        self._index()
        # "a bride doll", "a mother duck", "a baby elephant following its mother": objects, animals
        objects = {m.start for m in self.matches if m.rule == ALWAYS and self._object(m)}
        self.object_starts = self._idiom_objects | objects
        # "an Emperor penguin father balancing an egg on his feet": the animal's parent
        self.object_starts |= {m.start for m in self.matches if self._parent_after_animal(m)}
        # "a mother giraffe nuzzling her baby", "a nanny goat and her kid": the animal's young
        self.object_starts |= {m.start for m in self.matches if self._young_of_animal(m)}
        # "a gentleman's pocket watch", "men's leather shoes": an owner, shown only beside a person
        owners = {m.start for m in self.matches if self._owner(m)} | self._audience()
        self.owner_words: set[int] = set()
        person_outside = (
            self._person_noun_outside() or has_person_emoji(self.text) or self._person_tag() or self._gender_tag()
        )
        self.person_outside = person_outside
        self.has_person = (
            person_outside
            or self._user_described()
            or any(
                m.rule in _PERSON_RULES
                and not self._data_name(m)
                and m.start not in self.object_starts
                and m.start not in owners
                for m in self.matches
            )
        )
        if self.has_person:
            self.owner_words = set()
        else:
            self.object_starts |= owners
        self._bind_data_names()
        self._titled_names()
        self.has_person_word = self.has_person and (
            person_outside
            or any(
                not m.entry.is_pronoun and m.rule in _PERSON_RULES
                for m in self.matches
                if m.start not in self.object_starts
            )
        )
        decided: dict[int, bool] = {}
        self.alone_nouns: set[int] = set()
        self.their_ages: set[int] = set()
        self.tag_persons = {m.start for m in self.matches if self._tag_person(m)}
        for i in range(len(self.matches) - 1, -1, -1):
            decided[i] = self._bound(self.matches[i], decided)
        self.matches = [m for i, m in enumerate(self.matches) if decided[i]]
        self._index()

    def _shown_in_part(self, match: _Match) -> bool:
        """Whether a person is shown in part, whatever a "no people" tag says: a name or title ("no
        people, Mrs. Smith's garden gate, Mrs. Smith waving"), or a word whose possessive owns a
        body part or a group within three words ("a woman's ring finger, no people", "a man's boat
        crew"). Reads the fixed words after the match and its rule, never a value."""
        if match.entry.is_pronoun:
            return False
        if self._rule(match) in (TITLE, CAPITALISED):
            return True
        owned = _POSSESSIVE_THEN.match(self.folded, match.end)
        if owned is None:
            return False
        words = owned.group(1).split()[:3]
        return any(is_body_part(w) or w in GROUP_NOUNS for w in words)

    @functools.cached_property
    def _nobody(self) -> bool:
        return says_no_one_is_there(self.folded)

    @functools.cached_property
    def _nobody_outright(self) -> bool:
        return says_no_one_is_there(self.folded, outright=True)

    def _names_no_one(self, match: _Match, previous: _Match | None) -> bool:
        """In a prompt that says outright that nobody is there ("no humans", "nobody"), whether
        `match` names no one: a first name not after a title ("Sbarro and Orange Julius signs"), a
        person word written with a capital inside its phrase, which is a name's ("Tomb of the Old
        Mother, no characters"), or a person noun right before another noun that is no likeness
        ("no humans, mother dragon")."""
        if match.entry.is_pronoun:
            return False
        if match.rule == CAPITALISED and "first_name" in match.entry.categories:
            if previous is None or previous.rule != TITLE:
                return True
            return not _TITLE_GAP_OK.fullmatch(self.folded, previous.end, match.start)
        said = self.text[match.start : match.end]
        if said[:1].isupper() and not said.isupper() and not self._opens(match.start):
            return True  # a capital inside a phrase is a name's: "Mother Teresa Street sign, no people"
        if match.rule != ALWAYS:
            return False
        kind, token = self._next_token(match.end)
        return (
            kind == "word"
            and isinstance(token, str)
            and token not in FUNCTION_WORDS
            and not token.endswith(("ing", "ed"))
            and not is_person_noun(token)
            and not is_depiction(token)  # "no people, an old man statue" shows an old man
            and token not in not_nouns()  # "a woman alone on a beach, nobody around" shows her
        )

    def _owner(self, match: _Match) -> bool:
        """Whether a person noun owns the thing after it ("a gentleman's pocket watch": `owns_thing`);
        a booru tag ("1girl") is a person whatever follows it."""
        if match.rule != ALWAYS or match.entry.is_pronoun or self._tagged(match):
            return False
        if self._wears_own(match):
            return False
        plural_at = match.start if any("plural" in c for c in match.entry.categories) else None
        return owns_thing(self.taxonomy, self.folded, match.end, self._nobody, plural_at)

    def _wears_own(self, match: _Match) -> bool:
        """Whether a person noun after "the", "this" or "that" owns by "'s" what a person wears,
        right after it or after one word ("change the girl's dress to red", "make the old man's
        hat blue"): one person the picture shows, wearing it; "a woman's dress", "men's shoes" are
        of a kind, shown by nobody. Not where the prompt says no one is there."""
        if self._nobody or _WEARER_BEFORE.search(self.folded, max(0, match.start - 40), match.start) is None:
            return False
        worn = _OWN_WORN_AFTER.match(self.folded, match.end)
        if worn is None:
            return False
        first, second = worn.groups()
        if second in worn_heads():
            return True  # "the girl's red dress"
        return first in worn_heads() and not (second and second in object_heads())  # not "the girl's dress shop"

    def _audience(self) -> set[int]:
        """Starts of the person words after "for" that say whom a thing is for, their phrase ending
        with them ("perfume bottle, for women, pink", "nursery interior for a baby girl, sage green
        walls", "sneakers for kids"): shown only beside a person, as an owner is (`_owner`). Not in
        a prompt with a pronoun, which may speak of them, nor after a part of the body ("Christmas
        nails for grandma" are on her hands); a booru tag is a person whatever comes before it."""
        if any(m.entry.is_pronoun for m in self.matches):
            return set()  # "invitation art for my son, he is turning 4": the pronoun may show him
        found: set[int] = set()
        previous: _Match | None = None
        for match in self.matches:
            if previous is not None and previous.start in found and self._same_person(previous, match):
                found.add(match.start)  # "for a baby girl": one person's words
            elif match.rule == ALWAYS and not self._tagged(match):
                lead = match.article[0] if match.article is not None else match.start
                before = _FOR_BEFORE.search(self.folded, max(0, lead - 16), lead)
                thing = _WORD_BEFORE_FOR.search(self.folded, 0, before.start()) if before is not None else None
                if before is not None and not (thing is not None and is_body_part(thing.group(1))):
                    found.add(match.start)  # not "Christmas nails for grandma": worn on her body
            previous = match
        # the phrase ends with its person ("for women, pink"); "a card for a boy turning 7, gap-
        # toothed grin", "a hairstyle for a boy with curly hair" go on to show him
        return {start for start in found if self._phrase_end_after(start, found)}

    def _phrase_end_after(self, start: int, found: set[int]) -> bool:
        index = self.starts[start]
        while index + 1 < len(self.matches) and self.matches[index + 1].start in found:
            index += 1
        kind, _ = self._next_token(self.matches[index].end)
        return kind in ("end", "punct")

    @staticmethod
    def _tagged(match: _Match) -> bool:
        return any(c.startswith("tag_") for c in match.entry.categories)

    def _person_noun_outside(self) -> bool:
        """Whether a person noun that no taxonomy word covers is in the prompt, other than one right
        before an animal or a thing, which it only modifies ("a nanny goat"), or one owning the
        thing after it ("an old fisherman's boat": noted in `owner_words`), or one that "no" or
        "without" denies ("no humans", "(no people:1.4)", "without tourists")."""
        for word in _WORD.finditer(self._outside_matches):
            if not is_person_noun(_bare(word.group())) or is_likeness(_bare(word.group())):
                continue  # "a sewing mannequin", "a robot": WordNet's persons too, but things here
            if is_body_part(_bare(word.group())) and _OWNED_BEFORE.search(
                self.folded, max(0, word.start() - 24), word.start()
            ):
                continue  # "the doll's face", "its face": a part of a body, no person ("a new face")
            if _DENIED.search(self.folded, max(0, word.start() - 12), word.start()):
                continue
            if in_likeness(self.folded, word.start()):
                continue
            bare = _bare(word.group())
            if bare in self.binding.absence_of_persons:
                continue  # "nobody there" says that no one is
            if bare == "focus" and not any(m.end in (word.start() - 1, word.start()) for m in self.matches):
                continue  # booru's "male focus" shows him; "soft focus", "sharp focus" are a lens's
            plural_at = word.start() if bare.endswith("s") else None  # no slot: its own "s" ("dentists chair")
            if owns_thing(self.taxonomy, self.folded, word.start() + len(bare), self._nobody, plural_at):
                self.owner_words.add(word.start())
                continue
            after = _NEXT_WORD.match(self.folded, word.end())
            if after is not None and after.group(1) in _BASIC_COLOURS:
                continue  # "sage green walls": the name of a colour
            if after is not None and any(m.start == after.start(1) and m.rule == ALWAYS for m in self.matches):
                continue  # "a Victorian lady's writing desk": it modifies the person noun, whose rules decide
            if after is None or not self._thing_head(after.group(1), after.start(1)):
                return True
            if is_picture(after.group(1)):
                return True  # a picture shows the person: "female knight art", "elf character sheet"
        return False

    def _user_described(self) -> bool:
        """Whether an age is said of the user ("i'm 25 years old, make me a pin-up", "me, (age
        45:1.1), beach", "a pic of me at 25 years old", "i'm 16"; the one a meme shows: "POV: you're
        8 and ..."), or a word of the taxonomy right
        after "i'm" ("i'm asian, make me a pin-up", "i'm white so keep my skin tone"): the user is
        then in the picture, and the attribute varies as any person's would ("make me look older"
        says no age)."""
        return any(
            not m.entry.is_pronoun
            and (
                (
                    self._ages(m)
                    and (
                        _USER_BEFORE_AGE.search(self.folded, max(0, m.start - 24), m.start) is not None
                        or _YOU_SHOWN_BEFORE_AGE.search(self.folded, max(0, m.start - 80), m.start) is not None
                    )
                )
                or _I_AM_BEFORE.search(self.folded, max(0, m.start - 16), m.start) is not None
            )
            for m in self.matches
        )

    def _alone_before_age(self, match: _Match, at: int) -> bool:
        """Whether a gender adjective ("male", "female": `binding.json`, ``alone_is_a_person``) is
        followed at `at` by an age and then punctuation or the end ("hispanic male approx 25-30
        yrs,", "white female 40s", "male, 45 years old" is read by `_gender_tag`): it is used as a
        noun, as records and reports write a person. A number before a noun is a count or a size
        ("a female 30 pin connector")."""
        name = self.taxonomy.attributes[match.entry.attribute].name
        return (
            not match.entry.is_pronoun
            and name in self.binding.alone_is_a_person
            and _AGE_AFTER_NOUN.match(self.plain, at) is not None
        )

    def _gender_tag(self) -> bool:
        """Whether a gender adjective stands as a tag of its own next to an age, as forms and reports
        describe a person ("male, 45 years old", "age 30, female", "female, 20-25"): the prompt is
        about a person, so the age is theirs. Reads the text around the adjective and the kinds of
        the matches only."""
        for match in self.matches:
            name = self.taxonomy.attributes[match.entry.attribute].name
            if match.entry.is_pronoun or match.rule != MODIFIER or name not in self.binding.alone_is_a_person:
                continue
            start = match.start
            while (before := self._word_before(start)) is not None and before[0] == "" and before[2] in self.ends:
                start = self.matches[self.ends[before[2]]].start  # "young Asian male, 25 years old"
            if not _TAG_EDGE_BEFORE.search(self.plain, 0, start):
                continue
            if self._alone_before_age(match, match.end):
                return True  # "asian male approx 25-30 yrs, slim build"
            if not self._tag_person(match):
                continue  # no tag of its own: "a male nurse"
            if any(self._ages(m) and abs(m.start - match.start) < _AGE_TAG_REACH for m in self.matches):
                return True
            tag = _TAG_AFTER.match(self.plain, match.end)
            if tag is not None and _AGE_AFTER_NOUN.match(self.plain, tag.end()):
                return True  # "male, 25-30" before the range is read
        return False

    def _person_tag(self) -> bool:
        """Whether a tag of its own says that a character is drawn ("solo", "looking at viewer",
        "upper body": `binding.json`, `person_tags`), its weight and brackets aside."""
        tags = self.binding.person_tags
        return bool(tags) and any(
            _TAG_TEXT.sub("", tag.group()).strip() in tags for tag in _TAG.finditer(self.folded.replace("_", " "))
        )

    def _parent_after_animal(self, match: _Match) -> bool:
        """Whether "mother" or "father" comes right after an animal written in lower case
        (`animal_heads`: "a penguin father", "the elephant mothers"): the animal's parent, as "a
        mother duck" is. The casual words name a person who keeps the animal ("a dog mom", "cat
        dads") and stay."""
        if (
            not match.entry.categories & _PARENT_CATEGORIES
            or self.folded[match.start : match.end] not in _ANIMAL_PARENTS
        ):
            return False
        before = self._word_before(match.start)
        return before is not None and before[0] in animal_heads() and self.text[before[1]].islower()

    def _young_of_animal(self, match: _Match) -> bool:
        """Whether a child noun right after a possessive pronoun follows an animal's kin word ("a
        mother giraffe nuzzling her baby") or an animal and "and"/"with" ("a nanny goat and her
        kid", "... and her two kids"): the animal's young; so is one after "the" where an animal's
        parent came before and no person ("A mother elephant shelters her calf. The baby presses
        close")."""
        if not match.entry.categories & _CHILD_NOUN_CATEGORIES:
            return False
        before = self._word_before(match.start)
        if before is not None and (before[0].isdigit() or before[0] in _COUNT_WORDS):
            before = self._word_before(before[1])  # "a nanny goat and her two kids"
        if before is None:
            return False
        at = before[1]
        if before[0] == "the":  # "A mother elephant shelters her calf. The baby presses close"
            return any(
                start < match.start and self.matches[self.starts[start]].entry.categories & _PARENT_CATEGORIES
                for start in self.object_starts
                if start in self.starts
            ) and not any(
                m.start < match.start and not m.entry.is_pronoun and m.start not in self.object_starts
                for m in self.matches
            )
        if before[0] == "":  # a pronoun of the taxonomy ("her", "his"), or punctuation
            if before[2] not in self.ends:
                return False
            pronoun = self.matches[self.ends[before[2]]]
            if "possessive_determiner" not in pronoun.entry.categories:
                return False
            at = pronoun.start
        elif before[0] not in ("its", "their"):
            return False
        return self._after_animal(at) or any(start < at for start in self.object_starts)

    def _thing_head(self, word: str, start: int) -> bool:
        """Whether the (folded) noun at `start` is an animal or a thing of `OBJECT_HEADS` or of
        WordNet (`_animal_head`)."""
        return word in OBJECT_HEADS or self._animal_head(word, start)

    def _animal_head(self, word: str, start: int) -> bool:
        """Whether the (folded) noun at `start` is a WordNet animal or thing (`object_heads`), or a
        name that is an animal too, written as the animal ("lead mare", "an Arabian mare", not
        "Mare")."""
        return word in object_heads() or (word in named_object_heads() and self.text[start].islower())

    @functools.cached_property
    def _first_animal(self) -> int | None:
        """Where the first WordNet animal written in lower case starts (`animal_heads`), or None."""
        return next(
            (
                word.start()
                for word in _TYPO_WORD.finditer(self.folded)
                if word.group() in animal_heads() and self.text[word.start()].islower()
            ),
            None,
        )

    def _animals_pronoun(self, match: _Match) -> bool:
        """Whether a pronoun, in a prompt that names no person, speaks of an animal of WordNet
        (`animal_heads`, in the singular) named before it: a subject ("my dog in a graduation cap,
        he finally passed puppy school") or a possessive before a word that names no part of a
        person's body ("a golden retriever on the porch, his tail mid-wag", "my bunny, her name is
        Mochi"). An object pronoun or a possessive before a body part speaks of someone the prompt
        leaves unnamed, and stays varied: "a cat asleep on her lap", "a puppy licking his face"."""
        if self.person_outside or self._first_animal is None or self._first_animal > match.start:
            return False  # "a thru-hiker, trail name "Moose" on his pack": a name, and a person
        categories = match.entry.categories
        if "subject_pronoun" in categories:
            return True
        if "possessive_determiner" not in categories:
            return False
        after = _NEXT_WORD.match(self.folded, match.end)
        return after is not None and after.group(1) not in FUNCTION_WORDS and not is_body_part(after.group(1))

    def _other_persons(self, categories: frozenset[str]) -> bool:
        """Whether a word of no category of `categories` that names a person wherever it stands
        (no pronoun, no modifier) is read: "1girl, old woman, the empress (tarot)"."""
        return any(
            not m.entry.is_pronoun
            and not m.entry.family & categories
            and any(self.binding.rule(c) in _PERSON_RULES for c in m.entry.categories)
            for m in self.matches
        )

    def _team_name(self, match: _Match) -> bool:
        """Whether a person word in the plural, capitalised, after "a", "an" or a possessive
        determiner and before a thing of a team's fans in lower case (`_TEAM_THINGS`), names a
        team: "a Cowboys jersey", "his Vikings helmet", "a Kings game" (a plural after "a" modifies
        what follows only as a name). Kin words are left out ("my Grandparents house"). Reads the
        user's letters and words, never a slot's value, so every candidate reads alike; "a cowboys
        jersey" in lower case stays varied."""
        categories = match.entry.categories
        if match.entry.is_pronoun or not any(c.endswith("plural") for c in categories):
            return False
        if any(c.removesuffix("_plural") in _KIN_CATEGORIES for c in categories):
            return False
        said = self.text[match.start : match.end]
        if not said[:1].isupper() or said.isupper():
            return False
        before = self._word_before(match.start)
        if before is None:
            return False
        if before[2] in self.ends:  # "his" is a slot: a possessive all the same
            owner = self.matches[self.ends[before[2]]]
            if not (owner.entry.is_pronoun and "possessive_determiner" in owner.entry.categories):
                return False
        elif before[0] not in ("a", "an", *POSSESSIVES):
            return False
        kind, token = self._next_token(match.end)
        if kind != "word" or str(token) not in _TEAM_THINGS:
            return False
        return self.text[self.folded.index(str(token), match.end)].islower()

    def _people_as_name(self, match: _Match) -> bool:
        """Whether a people's word that is a common first name too (`people_name_keys`: "Maya",
        "Roman") stands as a name: capitalised, after no article, determiner, number or other slot,
        and before the end, punctuation, a possessive, a verb, a capitalised word that no slot
        holds (a surname: "Maya Chen") or "and" with a first name ("Maya and Noah"). "a Maya
        weaver", "Maya ruins", "Roman and Greek statues" stay a people. A people's slot renders its
        canonical form, never one of these words, so every candidate reads alike."""
        if surface_key(self.folded[match.start : match.end]) not in people_name_keys():
            return False
        if not self.text[match.start].isupper() or self.text[match.start + 1 : match.end].isupper():
            return False  # "MAYA" may be a heading of either
        lead = match.start  # "a (Roma:1.2) grandmother": the weighted word is read as the bare one
        while lead > 0 and self.text[lead - 1] in "([{":
            lead -= 1
        before = self._word_before(lead)
        if before is not None and (before[2] in self.ends or before[0] in DETERMINERS or before[0] in _COUNT_WORDS):
            return False  # "young Maya", "a Maya", "two Maya": a people's word
        if before is not None and before[0].isdigit():
            return False
        after = _WEIGHT_AFTER.match(self.text, match.end)
        kind, token = self._next_token(after.end() if after else match.end)
        if kind in ("end", "punct"):
            return True
        if kind != "word":
            return False  # "Maya woman": the people of the person after it
        word = str(token)
        at = self.folded.index(word, match.end)
        if word in _CONJUNCTIONS:
            follows = _NEXT_WORD.match(self.text, at + len(word))
            entry = follows and self.taxonomy.lexicon.get(surface_key(follows.group(1)))
            return bool(follows and follows.group(1)[:1].isupper() and entry and "first_name" in entry.categories)
        if self.text[at].isupper():
            return self.taxonomy.lexicon.get(surface_key(word)) is None
        return word in FUNCTION_WORDS or word.endswith("ing") or word in present_verbs()

    def _figures_pronoun(self, match: _Match) -> bool:
        """Whether a pronoun, in a prompt that names no person, follows a figure of allegory named
        with a person word (`binding.personifications`: "Mother Nature, her hair made of moss")."""
        figure = self.binding.personification
        return figure is not None and figure.search(self.folded, 0, match.start) is not None

    def _after_animal(self, position: int) -> bool:
        """Whether an animal or a thing and "and"/"with" come right before `position` ("a hen and")."""
        thing = _THING_BEFORE.search(self.folded, max(0, position - 40), position)
        if thing is None:
            return False
        return self._animal_head(thing.group(1), thing.start(1))  # "lead mare and her foal"

    def _acronym(self, match: _Match) -> bool:
        """Whether a first name written in capitals, in a prompt not written in capitals
        throughout, is an acronym: one of two letters anywhere ("AI restore: my grandfather ...",
        "AI art of my grandma": "AI" had been the name "Ai", a person of its own, and the pronouns
        after it had varied apart from the grandfather), a longer one right after "the" ("in the
        NICU", "at the MET"): "the" opens no name."""
        written = self.text[match.start : match.end]
        if len(written) < 2 or not written.isupper() or self.text.isupper():
            return False
        if len(written) == 2:
            return True
        before = self._word_before(match.start)
        return before is not None and before[0] == "the"

    def _named_thing(self, start: int) -> bool:
        """Whether the capitalised word at `start` is (part of) the name of an animal or a thing: it
        follows, after at most two capitalised words, "named" or "called" right after a WordNet
        animal or thing (`object_heads`: "a corgi named Kevin", "an old mare named Duchess", "a
        parrot named Mrs. Pickles", "a boat called Lady Grace"); "a woman named Emma" is a person."""
        if not self.text[start : start + 1].isupper():
            return False
        name = _NAMED_BEFORE.search(self.text, max(0, start - 60), start)
        if name is None:
            return False
        thing = _LAST_WORD.search(self.folded, 0, name.start())
        if thing is None or not self._animal_head(thing.group(), thing.start()):
            return False
        # a pronoun after it, where another person word is, may be the pet's or that person's; read
        # as a person's name, the pronoun keeps agreeing with it ("a cat named Gerald on his pillow,
        # a woman reading beside him")
        pronouns = {m.entry.attribute for m in self.matches if m.entry.is_pronoun and m.start > start}
        return not any(
            not m.entry.is_pronoun and m.entry.attribute in pronouns and not name.start() <= m.start <= start
            for m in self.matches
        )

    def _artist(self, start: int, end: int | None = None) -> bool:
        """Whether the first name at `start` names an artist: an artist marker leads to it ("by Greg
        Rutkowski"), or (given its `end`) a word of style follows, after at most two capitalised
        words that no taxonomy word is among ("Wes Anderson style")."""
        pattern = self.binding.artist_before
        if pattern is not None and pattern.search(self.text, max(0, start - 160), start) is not None:
            return True
        after = self.binding.artist_after
        if end is None or after is None or (found := after.match(self.text, end)) is None:
            return False
        # a taxonomy word between may be a slot of one word or three ("Emma women style", "Emma men
        # and women style"): the words counted would depend on the value, so none may stand there,
        # but a capitalised first name, one word in every candidate ("Tim Burton film", "Wes
        # Anderson movie": a surname that is a first name too)
        lexicon = self.taxonomy.lexicon
        return all(
            "first_name" in lexicon[surface_key(m.group())].categories and self.text[m.start()].isupper()
            for m in self.taxonomy.matcher.finditer(self.folded, end, found.end())
        )

    def _titled_artist(self, match: _Match) -> bool:
        """Whether the title at `match`, before a capitalised word, opens an artist's name: "by"
        right before it ("by Sir Joshua Reynolds") or a word of style after its name and surname
        ("Raja Ravi Varma style"; "Grandma Rose style" names her), with no taxonomy word between
        but first names, which `_artist` leaves as written there too."""
        before = self._word_before(match.start)
        if before is not None and before[0] == "by":
            return True
        after = self.binding.artist_after
        found = after.match(self.text, match.end) if after is not None else None
        if found is None:
            return False
        names = _WORD.findall(self.text, match.end, found.end())[:-1]
        if len(names) != 2 or not all(name[:1].isupper() for name in names):
            return False
        between = self.taxonomy.matcher.finditer(self.folded, match.end, found.end())
        return all(self.taxonomy.lexicon[surface_key(m.group())].categories == {"first_name"} for m in between)

    def _object(self, match: _Match) -> bool:
        """Whether a person noun names an object or an animal by the noun right after it ("a bride
        doll", "a mother duck"), after an occasion ("an old hag halloween mask") or after "and" and
        another such noun ("emperor and empress dolls")."""
        if match.entry.is_pronoun:
            return False
        kind, token = self._next_token(match.end)
        before = self._word_before(match.start)
        head_at = match.end
        if kind == "word" and token in OCCASIONS:
            occasion = _HEAD_AFTER.match(self.folded, match.end)
            following = _NEXT_WORD.match(self.folded, occasion.end()) if occasion is not None else None
            if occasion is not None and following is not None and following.group(1) in OBJECT_HEADS:
                kind, token, head_at = "word", following.group(1), occasion.end()
        joined = _COORDINATED.match(self.folded, match.end) if kind == "word" and token in _CONJUNCTIONS else None
        if joined is not None:
            if joined.end() in self._idiom_objects:
                return True  # "emperor and empress dolls"
            other = self.starts.get(joined.end())
            if other is not None and self.matches[other].start == joined.end():
                return self._object(self.matches[other])  # "bride and groom cake toppers"
            pair = _PAIRED_THING.match(self.folded, joined.end())
            alone = before is None or before[0] not in DETERMINERS  # "a woman and vampire dolls": hers
            if alone and other is None and pair is not None and pair.group(2) in OBJECT_HEADS:
                return True  # "rows of witch and vampire costumes", "nurse and patient figurines"
        if kind == "word" and token in OBJECT_HEADS:
            if given_to(self.folded, match.start):
                return False  # "teaching his granddaughter chess": the thing is given to the person
            head = _HEAD_AFTER.match(self.folded, head_at)
            if head is None:
                return True
            if any("plural" in c for c in match.entry.categories) and PARTICLE.match(self.folded, head.end()):
                return False  # a verb and its particle after persons: "boys dress up as pirates"
            after = _NEXT_WORD.match(self.folded, head.end())
            if after is not None and is_person_noun(after.group(1)) and not is_likeness(after.group(1)):
                return False  # the thing names what a person does: "a girl lion tamer", "a boy dragon rider"
            if pair_pursuit(self.folded, match.start, head.end()):
                return False  # "father and daughter duck hunting": the pair's pursuit
            return not does_activity(match.entry.categories, self.folded, head.end())
        return before is not None and before[0] == "its"

    def _data_name(self, match: _Match) -> bool:
        return match.rule == CAPITALISED and surface_key(self.text[match.start : match.end]) in data_name_keys()

    def _bind_data_names(self) -> None:
        """A first name of the generated list names a person, never after a preposition of place
        ("a street in Florence", an era between too: "a diner in 1950s America") or as a surname
        ("Mrs. Johnson"); one that WordNet knows as a
        place or a famous person ("Paris", "Florence", "Lincoln", "Tesla": `wordnet_named`) only
        where the prompt is about a person or some such name does something ("Paris smiling").
        All of them or none: a candidate renders a hand-listed name, read wherever capitalised."""
        names: list[_Match] = []
        dropped: set[int] = set()
        for match in self.matches:
            if self._data_name(match):
                before = self._word_before(match.start)
                if before is not None and _ERA_BEFORE_NAME.fullmatch(before[0]):
                    before = self._word_before(before[1])  # "in 1950s America", "in 1920 Paris"
                place = before is not None and before[0] in self.binding.place_prepositions
                if (
                    place
                    or self._surname(match)
                    or self._place_tag(match)
                    or self._in_proper_noun(match)
                    or self._name_as_text(match)
                ):
                    dropped.add(match.start)
                else:
                    names.append(match)
            elif (
                match.rule == CAPITALISED
                and "first_name" in match.entry.categories
                and (self._in_proper_noun(match) or self._name_as_text(match))
            ):
                dropped.add(match.start)  # a hand-listed name too: "the Camino de Santiago", "Fitz Roy"
        if any(self._free_name(m) for m in names):
            self.has_person = True
        if names and not self.has_person:
            acting = (self._next_token(m.end) for m in names)
            if any(kind == "word" and str(token).endswith("ing") for kind, token in acting):
                self.has_person = True
            else:
                dropped.update(m.start for m in names)
        if dropped:
            self.matches = [m for m in self.matches if m.start not in dropped]
            self._index()

    def _in_proper_noun(self, match: _Match) -> bool:
        """Whether a first name ends a proper noun that a capitalised word before it opens, no
        person noun and not the first word of its sentence: one that is no English word right
        before it ("Wes Anderson palette", "Fitz Roy behind"), or any before "of" or "de" ("the
        Gateway of India", "the Camino de Santiago"): a surname or a place. "Coach Maria" and
        "Pastor James" are persons, a greeting names one ("Merry Christmas Emma"), and "Portrait of
        Maria" at a sentence's start is a picture of her."""
        before = self._word_before(match.start)
        if before is None or not before[0]:
            return False
        word, start, _ = before
        linked = word in _NAME_LINKS
        if linked:
            before = self._word_before(start)
            if before is None or not before[0]:
                return False
            word, start, _ = before
        opener = self.text[start : start + len(word)]
        if not written_in_title_case(opener) or word in FUNCTION_WORDS or is_person_noun(word):
            return False  # "my OC Leilani": an acronym in capitals opens no proper noun
        if not linked and (word in english_words() or word in _GREETINGS):
            return False  # "Merry Christmas Emma", "Good Morning Jamal", "Congrats Maria": a greeting names her
        opening = self._word_before(start)
        return opening is not None and not _SENTENCE_END.search(self.text, max(0, opening[2] - 1), start)

    def _place_tag(self, match: _Match) -> bool:
        """Whether a generated name that WordNet knows as a place or a famous person stands alone
        between commas, or after a comma at the end, with no person word right before ("a family
        walking to synagogue on a snowy morning, Brooklyn, slow tilt down"): the place, as a
        setting's tag; "my daughter, Brooklyn, on the swing" names her."""
        if surface_key(self.text[match.start : match.end]) not in wordnet_named():
            return False
        if _TAG_END.match(self.folded, match.end) is None:
            return False
        before = _TAG_BEFORE.search(self.folded, max(0, match.start - 16), match.start)
        if before is None:
            return False
        return before.end(1) not in self.ends

    def _name_as_text(self, match: _Match) -> bool:
        """Whether a first name is the text of a name written on a thing: after "the name" and
        before how it is written or where ("kippahs in a basket with the name Eli embroidered",
        "a mug with the name Rosa printed on it", "the name Mateo in gold letters")."""
        return (
            _NAME_AS_TEXT_BEFORE.search(self.folded, max(0, match.start - 12), match.start) is not None
            and _NAME_AS_TEXT_AFTER.match(self.folded, match.end) is not None
        )

    def _free_name(self, match: _Match) -> bool:
        """A generated name that names no place and no famous person, followed by no noun, is a
        person ("Jamal on a bench", "Keisha, 30,"; "Chanel perfume" is not)."""
        if surface_key(self.text[match.start : match.end]) in wordnet_named():
            return False
        kind, token = self._next_token(match.end)
        if kind != "word":
            return True
        word = str(token)
        return word in FUNCTION_WORDS or word.endswith("ing") or word in COPULAS

    def _surname(self, match: _Match) -> bool:
        """A generated name right after a courtesy title, with no capitalised word after it, is a
        surname ("Mrs. Johnson", "Mr. Carter"; "Mrs. Keisha Brown" has a first name): many names
        given as first names are surnames too, and a surname tells no gender."""
        if _COURTESY_BEFORE.search(self.folded, max(0, match.start - 8), match.start) is None:
            return False
        return _CAPITALISED_NEXT.match(self.text, match.end) is None

    def _titled_names(self) -> None:
        """A capitalised word right after a kin word or a title of rank is that person's first
        name, even when no list holds it ("Grandma Rose", "Nonna Lucia"): a `first_name` slot of
        the title's value, so "Grandpa Liam" and "Grandma Emma" are among the candidates."""
        titles = self.binding.name_titles
        if not titles:
            return
        added: list[_Match] = []
        for match in self.matches:
            entry = match.entry
            if entry.is_pronoun or not (entry.categories & titles):
                continue
            name = _TITLED_NAME.match(self.text, match.end)
            if name is None or name.start(1) in self.starts:
                continue
            written = self.folded[match.start : match.end]
            if self.text.startswith(".", match.end) and len(written) > _LONGEST_ABBREVIATION:
                continue  # "back to its mother. Caption: ...": a sentence ends there, no "Mrs." or "Dr."
            word = name.group(1)
            if not word[0].isupper() and not self._lower_name(match, word):
                continue
            if (len(word) > 1 and word.isupper()) or fold(word) in FUNCTION_WORDS:
                continue
            family = _first_name_family(self.taxonomy, entry.attribute, entry.value)
            if family is None:
                continue
            named = SurfaceEntry(entry.attribute, entry.value, frozenset({"first_name"}), family, False)
            added.append(_Match(0, name.start(1), name.end(1), named, "first_name", rule=CAPITALISED))
        if added:
            self.matches = sorted([*self.matches, *added], key=lambda m: m.start)
            self._index()

    def _lower_title(self, match: _Match) -> bool:
        """A courtesy title typed in lower case before a surname ("mrs patel making samosas", "mr.
        tanaka, 50"): "mr" and "mrs", or any with its period; not "ms" alone ("500 ms", "ms paint")."""
        if "title_courtesy" not in match.entry.categories:
            return False
        dotted = self.text.startswith(".", match.end)
        if not dotted and self.folded[match.start : match.end] not in ("mr", "mrs"):
            return False
        if match.start and self.text[match.start - 1].isdigit():
            return False
        after = _LOWER_WORD_AFTER.match(self.text, match.end + dotted)
        if after is None:
            return False
        word = fold(after.group(1))
        return word not in FUNCTION_WORDS and not is_person_noun(word)  # "mr. mime": a pokemon's name

    def _lower_name(self, title: _Match, word: str) -> bool:
        """A first name typed in lower case after a title typed so ("nonna rosa", "grandpa joe",
        "sister agnes" in a tag list): only a name of the taxonomy's lists, which hold no name that
        is a common English word ("Rose", "Mark"), so "grandpa time" or "sister act" name no one."""
        if not self.text[title.start].islower() or not word.islower():
            return False
        # an accent put on the name hides nothing ("queen elìzabeth"): read through it too
        entry = self.taxonomy.lexicon.get(surface_key(word)) or self.taxonomy.lexicon.get(surface_key(unaccented(word)))
        return entry is not None and entry.categories == {"first_name"}

    def _blank(self, matches: list[_Match]) -> str:
        """The folded text with every taxonomy word blanked out (what no value can change)."""
        chars = list(self.folded)
        for match in matches:
            chars[match.start : match.end] = " " * (match.end - match.start)
        return "".join(chars)

    def _after_likeness(self, start: int) -> bool:
        """Whether the prompt opens with a thing made in a person's likeness ("a bronze statue of a
        fisherman, ...", "a mannequin in a shop window, ...": `is_likeness` in its first phrase,
        before `start`), in a prompt where no person word is: what a pronoun then speaks of. A
        likeness later ("(Medusa:1.3), stone statues of warriors around her") is not."""
        first = _FIRST_PHRASE.match(self.folded)
        end = min(start, first.end()) if first is not None else start
        likeness = next((w for w in _WORD.finditer(self.folded, 0, end) if is_likeness(_bare(w.group()))), None)
        # a pronoun before the likeness is a person, whom a pronoun after it may speak of ("she is
        # holding a bobblehead of her favorite player")
        # (a word that only modifies the likeness is none: "A Japanese kokeshi doll ... Her painted smile")
        if likeness is None:
            return False
        if any(is_person_noun(_bare(w.group())) for w in _WORD.finditer(self.folded, 0, likeness.start())):
            return False  # "turn my coworker into a lego minifigure, she has red glasses": the coworker
        return not any(m.start < likeness.start() and (m.entry.is_pronoun or m.rule != MODIFIER) for m in self.matches)

    def _bound(self, match: _Match, decided: dict[int, bool]) -> bool:
        rule = match.rule
        if match.entry.is_pronoun:
            # "a mother duck with her ducklings", "a hen and her chicks": with no person in the
            # prompt, a pronoun after an animal's or object's kin word, or right after an animal or
            # a thing and "and"/"with", is the animal's
            if self.has_person_word:
                return True
            if self._after_likeness(match.start):
                return False  # "a bronze statue of a fisherman, seagull on his cap": the statue's
            if self._animals_pronoun(match):
                return False  # "my dog in a graduation cap, he finally passed puppy school"
            if self._figures_pronoun(match):
                return False  # "Mother Nature, her hair made of moss": the figure's, as its name tells
            return not self._after_animal(match.start) and not any(start < match.start for start in self.object_starts)
        if rule in _PERSON_RULES:
            return rule != ALWAYS or match.start not in self.object_starts
        if rule == PERSON_IN_PROMPT:
            # a person named as written is one too ("Julius Caesar, 55"), though not one that makes
            # every name a person's ("Edison's light bulb ... 'Thomas Edison, inventor'")
            return self.has_person or self._named
        if rule == BEFORE_BIRTHDAY:
            if not self._someone_in_prompt() and not _OWNER_BEFORE.search(
                self.folded, max(0, match.start - 8), match.start
            ):
                return False  # "a 1st birthday smash cake", "a room decorated for an 18th birthday party": nobody's
            kind, token = self._next_token(match.end)
            if kind == "word" and unaccented(str(token)).startswith("birthday"):
                return True  # "90th birthdäy" too
            return self._birthday_unsaid(match, kind)
        if rule == AFTER_POSSESSIVE:
            said = unaccented(self.folded[match.start : match.end])
            lead = match.start  # "(30s:1.1)": a weighted tag is read as the bare tag
            while lead > 0 and self.text[lead - 1] in "([{":
                lead -= 1
            before = self._word_before(lead)
            if before is not None:
                before = (unaccented(before[0]), before[1], before[2])  # "mìd thirties"
            qualifier = before is not None and before[0] in _SPELLED_QUALIFIERS
            qualified = said.startswith(_SPELLED_QUALIFIERS) or qualifier
            if qualified and not any(c.isdigit() for c in said) and self._modifier_bound(match, decided):
                return True  # "a mid-forties Korean businesswoman": spelled out, an age ("mid-90s" is an era)
            if before is not None and unaccented(before[0]) in _AGE_QUALIFIERS:
                before = self._word_before(before[1])
            if before is None:
                # "mid 30s man with a receding hairline": a qualified decade opening the prompt
                if qualified:
                    return not _ERA_DECADE.search(said) and self._modifier_bound(match, decided)
                return self._owned_by_solo_tag(match, said)  # "40s, 1girl, solo, office lady"
            if before[0] == "" and before[2] in self.ends:
                pronoun = self.matches[self.ends[before[2]]]
                if pronoun.entry.is_pronoun:
                    match.owner = pronoun  # "an old woman in her 80s": her age, one with "old"
                    return True
                # "woman 30s, office": a tag's decade right after a person's word is their age
                return (
                    not _ERA_DECADE.fullmatch(said)
                    and self._next_token(match.end)[0] in ("punct", "end")
                    and self._after_person_tag(lead)
                )
            owner = None
            following = self._next_token(match.end)
            if before[0] in ("and", "or", "to") and (following[0] != "word" or following[1] in FUNCTION_WORDS):
                owner = self._possessive_of_decade_before(before[1])  # not "in his 20s and 90s music"
            if isinstance(owner, _Match):
                match.owner = owner  # "a woman in her 40s or 50s": both her ages
                return True
            if before[0] in POSSESSIVES or owner is not None:
                if "their" in (before[0], owner):
                    self.their_ages.add(match.start)  # "an old couple in their 80s": the couple's age
                return True  # "five partners in their 50s and 60s": both decades theirs
            if qualified and not _ERA_DECADE.search(said) and self._modifier_bound(match, decided):
                return True  # "a mid-30s Vietnamese vendor", "an early 20s woman": the age of the person after it
            if _ERA_DECADE.fullmatch(said):
                return False  # "a woman, 90s, film grain": no decade of the rows, so never a decoy's
            kind, token = self._next_token(match.end)
            if kind == "word" and token not in FUNCTION_WORDS:
                return False  # a decade before a noun is an era: "pink hair, 90s film grain"
            if not self._after_person_tag(lead) and any(m is not match and self._ages(m) for m in self.matches):
                # beside another age word, an era ("teenage boys in a garage, 80s, punk"), but in a
                # tag list of one character: "mature_male, 1boy, solo, kilt, mist, 50s"
                return self._owned_by_solo_tag(match, said)
            return self.has_person and self.text[before[1] : before[2]].strip() in ("", ",")
        return self._modifier_bound(match, decided)

    def _owned_by_solo_tag(self, decade: _Match, said: str) -> bool:
        """Whether a decade that is no era is the age of a tag list's one character
        (`_solo_tag_person`), noted as its owner."""
        solo = None if _ERA_DECADE.fullmatch(said) else self._solo_tag_person(decade.start, decade.end)
        if solo is None:
            return False
        decade.owner = solo
        return True

    def _solo_tag_person(self, start: int, end: int) -> _Match | None:
        """The count tag of the one character of a tag list ("1girl", "1boy" beside "solo") where
        a decade or a bare number stands as a tag of its own at text[start:end]: that character's
        age, even beside another age word of theirs ("1girl, solo, aged up, 40s", "mature_male,
        1boy, solo, kilt, mist, 50s", "1boy, solo, old man, grandfather, candles, 90,"), which it
        agrees with or differs from as any second age word of one person. None where a pronoun, a
        plural or a second count tag is in the prompt. Reads kinds and the text only."""
        if _SOLO.search(self.folded) is None or self._next_token(end)[0] not in ("punct", "end"):
            return None
        opening = self.text[:start].rstrip(" \t([{")
        if opening and opening[-1] not in ",\n":
            return None  # "retro diner 50s,": an era said of the word before it
        tags = []
        for match in self.matches:
            if match.entry.is_pronoun or any("plural" in c for c in match.entry.categories):
                return None
            if self._tagged(match) and match.start != start:
                tags.append(match)
        return tags[0] if len(tags) == 1 else None

    def _possessive_of_decade_before(self, position: int) -> str | _Match | None:
        """The possessive before the decade that ends right before `position` ("their" in "in their
        50s and 60s"; the pronoun's slot in "in her early 40s or 50s"), or None."""
        earlier = self._word_before(position)
        if earlier is None or earlier[0] != "" or earlier[2] not in self.ends:
            return None
        other = self.matches[self.ends[earlier[2]]]
        if "decade" not in other.entry.categories:
            return None
        owner = self._word_before(other.start)
        if owner is not None and unaccented(owner[0]) in _AGE_QUALIFIERS:
            owner = self._word_before(owner[1])
        if owner is not None and owner[0] == "" and owner[2] in self.ends:
            pronoun = self.matches[self.ends[owner[2]]]
            return pronoun if pronoun.entry.is_pronoun else None
        return owner[0] if owner is not None and owner[0] in POSSESSIVES else None

    def _after_person_tag(self, start: int) -> bool:
        """Whether a person's word comes right before `start`, across a comma ("old man, 70s", "a
        woman, early 30s") or spaces ("woman 30s, office"), an age qualifier, and the weight and
        brackets closing the tag before ("(mature female:1.2), (40s:1.1)")."""
        before = self._word_before(start)
        if before is not None and unaccented(before[0]) in _SPELLED_QUALIFIERS:
            start = before[1]  # an accent hides nothing: "a guy èarly 20s"
        k = start
        while k > 0 and self.text[k - 1].isspace():
            k -= 1
        if k > 0 and self.text[k - 1] == ",":
            k -= 1
            while k > 0 and self.text[k - 1].isspace():
                k -= 1
            weight = _WEIGHT_BEFORE.search(self.text, max(0, k - 16), k)
            if weight is not None:
                k = weight.start()  # "(mature female:1.2), (40s:1.1)": the weighted tag's word
        elif k == start:
            return False
        return k in self.ends and not self.matches[self.ends[k]].entry.is_pronoun

    def _ages(self, match: _Match) -> bool:
        """Whether `match` is a word of an age attribute ("teenage", "old", "toddler")."""
        return self.taxonomy.attributes[match.entry.attribute].name in ("age", "child_age")

    def _modifier_bound(self, match: _Match, decided: dict[int, bool]) -> bool:
        """A modifier describes a person when its noun phrase ends in a person ("an old, wise
        man"), and not when it ends in another noun ("an old lighthouse"); with no noun after it,
        when it is used as a noun ("a 5-year-old") or the prompt is about a person ("she is old")."""
        text, folded = self.text, self.folded
        if _SCHOOL_YEAR.fullmatch(self.plain, match.start, match.end):
            return self._before_child(match)  # "a 4th grade girl", "U12 girls"; not "a 4th grade teacher"
        if self._colour_pair(match):
            return False  # "a black and white portrait of an old man": a photograph's colours
        if _LANGUAGE_AFTER.match(self.folded, match.end):
            return False  # "a Spanish language teacher", "a map of Asian language families": the language's
        k = match.end
        phrase: list[str] = []
        while len(phrase) < 4:
            while k < len(text) and text[k].isspace():
                k += 1
            if k == len(text):
                break
            other = self.starts.get(k)
            if other is not None and decided.get(other, False):
                slot = self.matches[other]
                if slot.entry.is_pronoun:
                    break
                if slot.rule in _PERSON_RULES or slot.start in self.alone_nouns:
                    return True
                k = slot.end
                continue
            if k in self._known_starts:
                return True  # "young Abraham Lincoln": a known person's name, sent as written
            if not phrase and self._alone_before_age(match, k):
                self.alone_nouns.add(match.start)  # "asian male approx 25-30 yrs", "female 40s,": a person
                return True
            word = _WORD.match(folded, k)
            if word is None:
                break
            raw = _bare(word.group())
            bare = unaccented(raw)  # an accent put on the head hides nothing: "male focûs", "an old mân"
            if bare in FUNCTION_WORDS or bare.startswith("mid-") or _CONTRACTED.fullmatch(bare):
                break  # "a dancer mid kick", "a dancer mid-flip", "she's korean i'm mexican": no noun
            if bare == "one" and (_ONE_IS.match(folded, word.end()) or self._slot_next(word.end())):
                break  # "one is black one is white", "one Italian one Puerto Rican": "one" opens the next
            if phrase and _verb_after_person(phrase[-1], bare):
                break  # "a young chef slices tuna", "an elderly teacher stands": a verb ends the phrase
            if phrase and bare in not_nouns() and phrase[-1] != _NO_PERSON and is_person_head(phrase[-1]):
                break  # "newborn twins asleep side by side": said of the persons, never a noun
            if bare in not_nouns():
                after = _NOUN_AFTER_ADJECTIVE.match(folded, word.end())
                if after is None or after.group(1) in FUNCTION_WORDS:
                    # "a 6-month-old asleep on a blanket": no noun follows, it is one itself; "an
                    # elderly guard asleep on his chair": a word said of the phrase ends it
                    break
            # a noun like a participle is one first ("an old building"), later only if it ends in
            # -ing or -ed ("a Thai cooking class"); a noun in -ly never is ("indian joint family")
            noun_like = bare in NOUNS_LIKE_PARTICIPLES and (not phrase or bare.endswith("ly"))
            participle = bare.endswith(("ing", "ed", "ly")) and not noun_like
            if participle and any(
                w not in TRANSPARENT and (w in NOUNS_LIKE_PARTICIPLES or not w.endswith(("ing", "ed", "ly")))
                for w in phrase
            ):
                break  # "a Kenyan runner crossing the line": the phrase ends at its head
            # a taxonomy word that names no person is no person's head: "old man's beard lichen"
            no_person = other is not None or k in self.idiom_starts or k in self.owner_words
            phrase.append(_NO_PERSON if no_person else bare)
            k = word.end()
            if raw != word.group():
                break  # a possessive ends the noun phrase: "an old lighthouse's lamp"
        if not phrase and (second := self._coordinated_modifier(match)) is not None:
            return self._modifier_bound(second, decided)  # "the male and female parts": the parts'
        heads = [w for w in phrase if w in NOUNS_LIKE_PARTICIPLES or not w.endswith(("ing", "ed", "ly"))]
        if any(" ".join(heads[-n:]) in self.binding.thing_compounds for n in (2, 3) if len(heads) >= n):
            return False  # "a Belgian waffle maker": an appliance, though a "maker" is a person too
        if heads and heads[-1] not in TRANSPARENT:
            if is_likeness(heads[-1]) and not _depicts_person(heads):
                return False  # "a female robot", "an old mannequin": a thing ("robot" is a person too)
            if is_person_head(heads[-1]) or _depicts_person(heads):
                return True
            if self._of_gathering(match, heads):
                return True
            if len(heads) > 1 and is_body_part(heads[-1]) and _possessive_written_plain(heads[-2]):
                return True  # "a Navajo silversmiths hands": the silversmith's hands, an apostrophe left out
            if len(heads) == 1 and is_body_part(heads[0]) and self._said_of_body(match):
                return True  # "female hands holding a coffee cup", "old hands kneading dough": a person's
            if self._unknown_noun_worn(heads[-1], k):
                return True
            return self._verb_after_noun_use(match, phrase)
        if self._strict(match):
            if self._capitalised_tag(match):  # "woman, 40s, Black, linen jumpsuit": a people's word
                return self.has_person or bool(self.tag_persons - {match.start})
            if _ETHNICITY_FIELD.search(self.plain, max(0, match.start - 24), match.start):
                return self.has_person  # "Sex: female, Age: 16, Race: White": a form's field
            return self._predicate_of_person(match.start)
        name = self.taxonomy.attributes[match.entry.attribute].name
        if not phrase and name in self.binding.alone_is_a_person and self._next_token(k)[0] in ("punct", "end"):
            self.alone_nouns.add(match.start)  # a booru tag: "dark-skinned male, muscular"
            return True
        before = self._word_before(match.start)
        if before is not None:
            used_as_noun = (
                before[0] in DETERMINERS
                or (before[0] == "" and before[2] in self.ends and self.matches[self.ends[before[2]]].entry.is_pronoun)
                or (not heads and self._article_across_adjectives(match.start))
            )  # "a pretty Latina with curly hair", "pretty Filipina smiling": used as a noun
            if used_as_noun:
                if not phrase and name in self.binding.alone_is_a_person:
                    # "a white male in his 40s": a person, whose colour word before it is theirs
                    self.alone_nouns.add(match.start)
                return True
        # a tag list about a person told by tags only ("elderly, female, wheelchair")
        return self.has_person or bool(self.tag_persons - {match.start})

    def _before_child(self, match: _Match) -> bool:
        """Whether a school year or an age group's league ("4th grade", "grade 3", "U12") comes
        before a child's noun or a pupil, two words at most between: it is then the child's age ("a
        4th grade girl", "U12 girls basketball team", "muddy U8 soccer kid", "grade 3 students"),
        and a year of a teacher, a class or a project otherwise ("a 4th grade teacher", "a grade 3
        class photo"). Reads kinds only."""
        end = match.end
        for _ in range(3):  # "U8 soccer kid", "4th grade science students"
            kind, token = self._next_token(end)
            if kind == "slot" and isinstance(token, int):
                return bool(self.matches[token].entry.categories & _CHILD_NOUNS)
            if kind != "word" or not isinstance(token, str) or token in FUNCTION_WORDS or token.endswith("ing"):
                return False
            if token in _PUPILS:
                return True
            end = self.folded.index(token, end) + len(token)
        return False

    def _said_of_body(self, match: _Match) -> bool:
        """Whether a modifier before a part of the body says the gender or the adult age of its
        person ("female hands", "old hands"), not a style named after a people ("a French braid",
        "Mongolian throat singing") nor a colour ("black hair")."""
        name = self.taxonomy.attributes[match.entry.attribute].name
        return name in ("gender", "age") and not self._strict(match)

    def _strict(self, match: _Match) -> bool:
        """Whether a modifier is a colour word, bound only before or after a person ("black hair",
        "white skin" stay: `binding.json`, ``strict``)."""
        return surface_key(self.text[match.start : match.end]) in self.binding.strict

    def _coordinated_modifier(self, match: _Match) -> _Match | None:
        """The modifier of the same attribute that "and", "or" or "&" joins right after `match`
        ("male and female", "young or old"): the two share the noun after the second, so whether
        they describe a person is that noun's to say ("the male and female parts of a flower" name
        no person; "a male and female doctor" do). None where no such modifier follows."""
        joined = _COORDINATED.match(self.folded, match.end)
        other = self.starts.get(joined.end()) if joined is not None else None
        if other is None:
            return None
        second = self.matches[other]
        if second.rule != MODIFIER or second.entry.is_pronoun or second.entry.attribute != match.entry.attribute:
            return None
        return None if self._colour_pair(second) else second

    def _colour_pair(self, match: _Match) -> bool:
        """Whether a colour word that is also a people's (`binding.json`, ``strict``: "black",
        "white") is joined by "and", "or" or "&" to another such word: "black and white", "white &
        black" are the colours of a photograph or a thing, never two persons' skin."""
        if not self._strict(match):
            return False
        strict = self.binding.strict
        after = _COORDINATED.match(self.folded, match.end)
        word = _WORD.match(self.folded, after.end()) if after is not None else None
        if word is not None and _bare(word.group()) in strict:
            return True
        before = _COLOUR_BEFORE.search(self.folded, max(0, match.start - 20), match.start)
        return before is not None and _bare(before.group(1)) in strict

    def _capitalised_tag(self, match: _Match) -> bool:
        """Whether a colour word that is also a people's ("Black", "White") stands alone between
        commas, capitalised or right after a tag that is a person word ("1boy, solo, 40s, black,
        bald", "man, 25 years old, white, brown hair"): a tag said of the person the list shows
        ("plus size woman, 40s, Black, linen jumpsuit"), where a colour would name what it colours
        ("black dress"). In lower case after another tag ("city, white, minimal") it is a colour."""
        before = self.text[: match.start].rstrip()
        after = self.text[match.end :].lstrip()
        if not ((not before or before.endswith(",")) and (not after or after.startswith(","))):
            return False
        if self.text[match.start].isupper():
            return True
        previous = before[:-1].rstrip()  # the tag before: one person word, whole
        if _ME_AT_END.search(previous):
            return True  # "62-year-old man (me), white, silver hair": the user's
        index = self.ends.get(len(previous))
        if index is None:
            return False
        if self._ages(self.matches[index]) and not self.matches[index].entry.is_pronoun:
            # "a heavyset man in his late 50s, white, thinning hair": the tag before ends in a
            # person's age, so this one is said of the person too
            return any(not m.entry.is_pronoun and m.rule in _PERSON_RULES for m in self.matches[:index])
        opening = self.text[: self.matches[index].start].rstrip()
        return not opening or opening.endswith(",")

    def _predicate_of_person(self, start: int) -> bool:
        """Whether the word at `start` is said of a person by a copula: "she is black", "a woman who
        is black", "the man is black and tall" (not "her hair is black", "the sky was white")."""
        copula = self._word_before(start)
        if copula is not None and copula[0] == "one" and self._member_of_persons(copula[1]):
            return True  # "two brides, one Black and one Korean"
        if copula is not None and _I_AM_BEFORE.search(self.folded, max(0, start - 16), start) is not None:
            return True  # "i'm white so keep my skin tone natural": the user's own
        if copula is None or copula[0] not in _COPULAS:
            return False
        if copula[0] in ("'s", "’s"):
            # "she's black": after a subject pronoun only ("the man's black coat" is his coat)
            if copula[1] not in self.ends:
                return False
            pronoun = self.matches[self.ends[copula[1]]].entry
            return pronoun.is_pronoun and "subject_pronoun" in pronoun.categories
        subject = self._word_before(copula[1])
        if subject is not None and subject[0] == "who":
            subject = self._word_before(subject[1])
        if subject is not None and subject[0] in ("one", "other") and self._member_of_persons(subject[1]):
            return True  # "2 old guys playing chess, one is black one is white"
        if subject is None or subject[0] != "" or subject[2] not in self.ends:
            return False
        entry = self.matches[self.ends[subject[2]]].entry
        if entry.is_pronoun:
            return bool(entry.categories & {"subject_pronoun", "object_pronoun"})
        return not entry.categories <= _MODIFIER_CATEGORIES

    def _slot_next(self, position: int) -> bool:
        """Whether a taxonomy word starts right after `position`, across spaces."""
        k = position
        while k < len(self.text) and self.text[k] in " \t":
            k += 1
        return k in self.starts

    def _member_of_persons(self, position: int) -> bool:
        """Whether "one" (or "the other") at `position` is a member of a group of persons named
        before it in its sentence ("two brides, one Black ...", "a gay couple, one is Black", "2 old
        guys playing chess in the park, one is black"): a plural person word, or a word for two of
        persons, with no plural of a thing between ("a woman with two cats, one is black" is a cat)."""
        group = -1
        for m in self.matches:
            if m.start >= position:
                break
            if not m.entry.is_pronoun and any("plural" in c for c in m.entry.categories):
                group = m.end
        for pair in _PAIR.finditer(self.folded, 0, position):
            word = pair.group().split()[-1]
            if len(pair.group().split()) == 1 or is_person_noun(word) or pair.start() in self.starts:
                group = max(group, pair.end())
                continue
            noun = _NEXT_WORD.match(self.folded, pair.end()) if pair.end() in self.ends else None
            if noun is not None and is_person_noun(_bare(noun.group(1))):
                group = max(group, noun.end())  # "two female nurses, one South Asian and one white"
        if group < 0:
            return False
        if not self._same_sentence(group, position):
            # "two elderly women ... on a porch swing. One is Black": "One" opens the next sentence
            breaks = list(_SENTENCE_BREAK.finditer(self.folded, group, position + 1))
            if len(breaks) != 1 or self.folded[breaks[0].end() : position].strip() != "":
                return False
        for word in re.findall(r"[a-z]+", self.folded[group:position]):
            if word.endswith("s") and word not in object_heads() and word[:-1] in object_heads():
                return False
        return True

    def _of_gathering(self, match: _Match, heads: list[str]) -> bool:
        """Whether a word of a people, a faith, a skin tone or a gender describes the people of a
        gathering that its phrase names (`gathering_heads`: "a Yoruba wedding", "a Tongan church
        choir", "a male voice choir"; before a word no list knows too: "a Punjabi wedding baraat"),
        or of a group of people before a time they spend together ("a Filipino family karaoke
        night"; "a Mexican family recipe" is a thing). An age is left alone: "an old church", "old
        school"."""
        if self.taxonomy.attributes[match.entry.attribute].name not in _GATHERED_ATTRIBUTES or self._nobody:
            return False  # "a lantern festival, no people": an empty scene
        if heads[-1] in gathering_heads():
            return True
        if heads[-1] not in english_words() and any(w in gathering_heads() for w in heads[:-1]):
            return True  # "a Punjabi wedding baraat": a gathering's own word no list knows
        return heads[-1] in _TIMES_TOGETHER and any(w in gathering_groups() for w in heads[:-1])

    def _article_across_adjectives(self, start: int) -> bool:
        """Whether "a" or "an" comes one or two words said of a person (cues or slots) before `start`
        ("a pretty Latina", "a beautiful young Nigerian"), with no noun after the word at `start`;
        "a delicious Thai with rice" is food. With no article, a word said of a person opening the
        prompt or a tag does the same ("hot latina in a red dress", "..., pretty Filipina smiling")."""
        before = self._word_before(start)
        said_of_person = False
        for _ in range(2):
            if before is None:
                return False
            if before[0] == "":  # a slot ("a young Latina") or punctuation
                if before[2] not in self.ends or self.matches[self.ends[before[2]]].entry.is_pronoun:
                    return False
                before = self._word_before(self.matches[self.ends[before[2]]].start)
            elif before[0] in cue_table().implications or before[0] in SAID_OF_PERSONS:  # "pretty", "hot"
                said_of_person = True
                before = self._word_before(before[1])
            else:
                return False
            if before is not None and before[0] in ("a", "an"):
                return True
            if said_of_person and (
                before is None or (before[0] == "" and before[2] not in self.ends and self._opens(before[2]))
            ):
                return True
        return False

    def _opens(self, end: int) -> bool:
        """Whether the text before `end` (a gap of spaces) ends a tag or clause: a comma, a semicolon,
        a line break or an opening bracket."""
        k = end
        while k > 0 and self.text[k - 1].isspace():
            k -= 1
        return k == 0 or self.text[k - 1] in ",;\n([{"

    def _unknown_noun_worn(self, head: str, end: int) -> bool:
        """Whether a head that no word list knows (a role in another language: "luchador", "sapeur",
        "mestre") names a person by what follows it: what a person wears ("in a gold mask", "in his
        pink three-piece suit", "wearing ..."; WordNet's `worn_heads`), a mid-action ("mid-kick",
        "mid kick") or something it does to what an article or a possessive opens ("a Georgian tamada
        raising a wine horn"; "Korean bibimbap sizzling in a pot", "a Thai tuk-tuk carrying
        tourists" stay things), or, ending as an agent's noun does (`_AGENT_ENDINGS`), anything it
        does ("an old Cuban torcedor rolling cigars").
        A dish is served in a bowl, never in a suit ("a Mexican pozole in a clay bowl")."""
        if head in english_words() or head in object_heads() or head == _NO_PERSON:
            return False
        neutral = cue_table().neutral.get(head)
        if neutral and not any(is_person_noun(w) for w in neutral.split()):
            return False  # a cue sent as a thing ("kurta" as "tunic"): "in a white kurta hugging his dad"
        plain = self.plain  # an accent hides nothing: "raïsing a horn", "mïd kick", "in a gôld mask"
        acting = _ACTING_AFTER.match(plain, end)
        if acting is not None and acting.group(1) not in NOUNS_LIKE_PARTICIPLES:
            return True  # "a Georgian tamada raising a wine horn", "a Yoruba babalawo casting the chain"
        doing = _GERUND_AFTER.match(plain, end)
        if head.endswith(_AGENT_ENDINGS) and doing is not None and doing.group(1) not in NOUNS_LIKE_PARTICIPLES:
            return True  # an agent's noun doing something: "an old Cuban torcedor rolling cigars"
        after = _WORN_AFTER.match(plain, end)
        if after is None:
            return False
        if after.group(1) is not None:
            return True  # "wearing", "dressed", "mid-kick"
        words = _WORD.findall(plain, after.end(), min(len(plain), after.end() + 60))[:_WORN_WORDS]
        return any(_bare(w) in worn_heads() for w in words)

    def _verb_after_noun_use(self, match: _Match, phrase: list[str]) -> bool:
        """Whether a modifier is used as a noun with a participle and its object after it: "a
        Nigerian selling carpets", "an elderly walking dogs". The article is singular and the last
        noun plural, so they are not one phrase; "a Thai cooking class" and "an old rocking chair"
        agree in number and stay one."""
        first = phrase[0]
        if len(phrase) < 2 or not first.endswith("ing") or first in NOUNS_LIKE_PARTICIPLES:
            return False
        last = phrase[-1]
        if len(last) < 4 or not last.endswith("s") or last.endswith(("ss", "us", "is")):
            return False
        before = self._word_before(match.start)
        return before is not None and before[0] in ("a", "an", "one")

    def _tag_person(self, match: _Match) -> bool:
        """A modifier standing alone as a tag of an attribute that names a person by itself
        ("female," "dark-skinned male,": `binding.json`, ``alone_is_a_person``)."""
        name = self.taxonomy.attributes[match.entry.attribute].name
        return (
            match.rule == MODIFIER
            and name in self.binding.alone_is_a_person
            and self._next_token(match.end)[0] in ("punct", "end")
        )

    def _before_capitalised(self, end: int) -> bool:
        """Whether a capitalised word (a name) follows, after an optional period: "Mrs. Lee"."""
        k = end
        if k < len(self.text) and self.text[k] == ".":
            k += 1
        while k < len(self.text) and self.text[k].isspace():
            k += 1
        if k in self.starts:  # a slot: capitalised in every candidate, or in none
            entry = self.matches[self.starts[k]].entry
            spec = self.taxonomy.attributes[entry.attribute]
            return all(spec.canonical(v, c)[:1].isupper() for c in entry.family for v in spec.values_for((c,)))
        word = _WORD.match(self.text, k)
        # a name: not a lone capital or a capitalised function word ("a lady A", "a lady An")
        return (
            word is not None
            and word.group()[0].isupper()
            and len(word.group()) > 1
            and (fold(word.group()) not in FUNCTION_WORDS)
        )

    # --- form categories ---------------------------------------------------------------------

    def _someone_in_prompt(self) -> bool:
        """Whether a person is in the prompt: a slot's, or any person noun of WordNet ("friends
        dancing", "guests"), not after "no" ("no humans"). A birthday's ordinal in a prompt of no
        one ("a 1st birthday smash cake", "a room decorated for an 18th birthday party") is the
        theme of a thing; after "my" or a possessive it is still someone's ("my 40th birthday")."""
        if self.has_person:
            return True
        return any(is_person_noun(w) for w in _WORDS.findall(_NOBODY.sub(" ", self.folded)))

    def _birthday_unsaid(self, match: _Match, kind: str) -> bool:
        """Whether an ordinal is a birthday without the word: right after a person word's
        possessive or "his"/"her", before punctuation or the end ("a card for my wife's 40th, she
        loves sunflowers", "my nan's 95th!!!!", "my aunt at her 60th, dancing"; "their 50th
        anniversary" is none), or after "happy"
        before a person word ("happy 90th grandma!"). Reads the words around it, never a value."""
        before = self._word_before(match.start)
        if before is not None and before[0] == "happy":
            return kind == "slot"
        if kind not in ("punct", "end"):
            return False
        possessive = _POSSESSIVE_BEFORE.search(self.text, max(0, match.start - 4), match.start)
        if possessive is None:
            # "at her 60th, dancing", "for his 95th!": a person's possessive determiner
            if before is None or before[0] != "" or before[2] not in self.ends:
                return False
            entry = self.matches[self.ends[before[2]]].entry
            return entry.is_pronoun and "possessive_determiner" in entry.categories
        owner = self.ends.get(possessive.start())
        return owner is not None and not self.matches[owner].entry.is_pronoun

    def _next_token(self, end: int) -> tuple[str, int | str | None]:
        """What follows a slot: ("slot", match index), ("word", folded word), ("punct"|"end", None)."""
        text, k = self.text, end
        while k < len(text) and text[k].isspace():
            k += 1
        if k == len(text):
            return "end", None
        if k == end and not text[k].isalnum():
            return "punct", None
        if k in self.starts:
            return "slot", self.starts[k]
        word = _WORD.match(self.folded, k)
        if word is None:
            return "punct", None
        stop = word.end()
        for i in range(k + 1, stop):
            if i in self.starts:
                stop = i
                break
        return "word", self.folded[k:stop]

    def _word_before(self, start: int) -> tuple[str, int, int] | None:
        """The word before `start` across whitespace, with its span ("" if a slot), or None."""
        j = start
        while j > 0 and self.text[j - 1].isspace():
            j -= 1
        if j == start or j == 0:
            return None
        if j in self.ends:
            return "", j, j
        i = j
        while i > 0 and _WORD_CHAR.match(self.folded[i - 1]) and i not in self.ends:
            i -= 1
        return self.folded[i:j], i, j

    def _category(self, match: _Match) -> str:
        """Pick the form category from the surface's family and the context (never the value)."""
        entry = match.entry
        titles = frozenset(c for c in entry.family if self.binding.rule(c) == TITLE)
        family = entry.family - titles if len(entry.family) > len(titles) else entry.family
        if self._child_age_as_noun(match):
            return "child_noun"
        if len(family) == 1:
            return next(iter(family))
        kind, token = self._next_token(match.end)
        if entry.is_pronoun:
            if (
                "possessive_determiner" in family
                and self._introduces_noun(*self._token_in_brackets(match.end))
                and not self._participle_with_object(match.end)
            ):
                return "possessive_determiner"
            if "possessive_determiner" in family and self._qualified_decade_after(match.end):
                return "possessive_determiner"  # "in his mid 30s": "mid" is no preposition there
            if "possessive_determiner" in family and kind == "word" and is_body_part(str(token)):
                return "possessive_determiner"  # "behind his back": a body part, not the adverb
            before = self._word_before(match.start)
            word = before[0] if before else ""
            if (
                "possessive_determiner" in family
                and kind == "word"
                and token in _VERBS_AND_NOUNS
                and word in _PREPOSITIONS_OF_NOUNS
            ):
                # "died in his sleep", "with her smile": a preposition's noun, where a verb before
                # makes an object ("let her sleep"); read as one, "his" had been sent as "him"
                return "possessive_determiner"
            after_copula = word in COPULAS or word.endswith(("'s", "’s"))
            if "possessive_pronoun" in family and after_copula:
                return "possessive_pronoun"
            return next(c for c in _PRONOUN_FALLBACK if c in family)
        order = self.taxonomy.attributes[entry.attribute].categories
        if "adjective" in family and self._introduces_person(kind, token):
            return "adjective"
        ranked = sorted(family, key=lambda c: (c == "adjective", order.index(c)))
        return ranked[0]

    def _child_age_as_noun(self, match: _Match) -> bool:
        """Whether a child's age adjective stands as a noun ("holding a newborn, soft light", "a
        newborn sleeping in a crib", "a preteen in a hoodie"): after an article, before the end,
        a mark, a function word or a verb in -ing; opening a sentence, before a function word or a
        verb in -ing ("newborn sleeping in a cabbage costume"; a tag "teenage," is the person's
        age, read as before). Its slot renders child nouns ("an infant",
        "a kid", "a teenager"); as an adjective it had rendered "holding a teenage", a decoy no one
        writes beside the user's own. Reads the word's kind and its neighbours, never its value."""
        if match.entry.family != {"adjective"}:
            return False
        if self.taxonomy.attributes[match.entry.attribute].name != _CHILD_AGE_ATTRIBUTE:
            return False
        before = self._word_before(match.start)
        preceding = self.text[: match.start].rstrip()
        opens = not preceding or preceding[-1] in SENTENCE_END
        if not opens and (before is None or before[0] not in ("a", "an")):
            return False
        kind, token = self._next_token(match.end)
        if kind in ("end", "punct"):
            return not opens
        return kind == "word" and isinstance(token, str) and (token in FUNCTION_WORDS or token.endswith("ing"))

    def _token_in_brackets(self, end: int) -> tuple[str, int | str | None]:
        """What follows a slot, read through opening brackets of weighted syntax: "her (red hair:1.2)"
        and "in his (40s:1.1)" are a determiner's noun."""
        k = end
        while k < len(self.text) and self.text[k].isspace():
            k += 1
        if k == len(self.text) or self.text[k] not in "([{":
            return self._next_token(end)
        while k < len(self.text) and (self.text[k] in "([{" or self.text[k].isspace()):
            k += 1
        return self._next_token(k)

    def _qualified_decade_after(self, end: int) -> bool:
        """Whether "early", "mid" or "late" and then an age follow (a slot or a number)."""
        kind, token = self._next_token(end)
        if kind != "word" or token not in _SPELLED_QUALIFIERS:
            return False
        k = end
        while k < len(self.text) and self.text[k].isspace():
            k += 1
        after = _QUALIFIER_GAP.match(self.text, k + len(str(token)))
        return after is not None and (after.end() in self.starts or self.text[after.end() : after.end() + 1].isdigit())

    def _introduces_noun(self, kind: str, token: int | str | None) -> bool:
        if kind == "slot" and isinstance(token, int):
            return not self.matches[token].entry.is_pronoun
        return kind == "word" and token not in FUNCTION_WORDS

    def _participle_with_object(self, end: int) -> bool:
        """Whether an -ing word with a determiner after it follows `end` ("a boy behind her holding
        an umbrella"): a verb with its object, so the pronoun before it is an object, not a
        possessive ("her wedding dress")."""
        kind, token = self._next_token(end)
        if kind != "word" or not isinstance(token, str) or not token.endswith("ing") or len(token) < 5:
            return False
        after = _DETERMINER_AFTER.match(self.folded, self.folded.index(token, end) + len(token))
        return after is not None

    def _introduces_person(self, kind: str, token: int | str | None) -> bool:
        if kind == "slot" and isinstance(token, int):
            return not self.matches[token].entry.is_pronoun
        return kind == "word" and is_person_noun(str(token))

    def _article_before(self, start: int) -> tuple[int, int] | None:
        """An "a"/"an" before a slot, across whitespace and opening brackets or quotes: "a (old)"."""
        j = start
        while j > 0 and (self.text[j - 1].isspace() or self.text[j - 1] in "([{\"'“‘*"):
            j -= 1
        if j == start or j in self.ends or not _ARTICLE_GAP.fullmatch(self.text[j:start]):
            return None
        i = j
        while i > 0 and _WORD_CHAR.match(self.folded[i - 1]):
            i -= 1
        if self.folded[i:j] not in ("a", "an"):
            return None
        return i, j

    def _title_as_written(self, match: _Match, titles: frozenset[str]) -> bool:
        """Whether a word before a name that is a noun too ("lady") is written as a title: with a
        capital ("Lady Aafke"). In lower case it is the noun, as the other candidates' form reads
        ("a lady Aafke" and "a gentleman Aad" are one template)."""
        return not match.entry.categories - titles or self.text[match.start].isupper()

    def _capital(self, position: int, match: _Match | None = None) -> bool:
        """A slot starts with a capital where the user wrote one and every candidate can show it:
        where it starts a sentence (also where some value's canonical form has one, "African", so
        that every candidate agrees), and inside one where every value's canonical form starts in
        lower case ("a portrait of Queen Elizabeth", "Portrait Of An Old Man": a capital there
        reads back as the user's, never as a value's); an article wherever the user wrote one ("A"
        or "An" in every candidate)."""
        if match is None:  # an article keeps the case it is written in: "Mr. Victoria A man"
            return self.text[position].isupper()
        firsts = _canonical_firsts(self.taxonomy.attributes[match.entry.attribute], match.category)
        if any(c.upper() == c.lower() for c in firsts):
            return False  # "20-year-old": a capital could not be read back from every candidate
        before = position
        while before > 0 and self.text[before - 1].isspace():
            before -= 1
        if before > 0 and self.text[before - 1] not in SENTENCE_END:
            word = _LETTER_RUN.match(self.text, position)
            # a word in capitals throughout is no title: "two MIDDLE aged WOMEN" renders in lower case;
            # nor is a letter before a number ("muddy U8 soccer kid")
            title = (
                word is not None
                and written_in_title_case(word.group())
                and not self.text[word.end() : word.end() + 1].isdigit()
            )
            return title and all(c.islower() for c in firsts)
        return self.text[position].isupper() or any(c.isupper() for c in firsts)

    # --- persons and variables ------------------------------------------------------------

    def _variables(self) -> list[_Variable]:
        """One variable per attribute of a person; pronouns bind to a person's variable (docs)."""
        variables: list[_Variable] = []
        person = -1
        previous: _Match | None = None
        by_kind: dict[int, list[_Match]] = {}
        of_person: dict[tuple[int, int], list[int]] = {}
        kept = {id(m) for m in self.matches}

        def owner(match: _Match) -> _Match | None:
            return match.owner if match.owner is not None and id(match.owner) in kept else None

        def join(match: _Match, who: int) -> None:
            kind = match.entry.attribute
            mine = of_person.setdefault((who, kind), [])
            same = next((v for v in mine if variables[v].value == match.entry.value), None)
            if same is not None:
                match.variable = same
            else:
                match.variable = len(variables)
                variables.append(_Variable(kind, who, match.entry.value, match.start, differs_from=list(mine)))
                mine.append(match.variable)

        subject = self._tag_subject() or self._solo_subject()
        subject_person: int | None = None
        members = self._distributive()
        heads: list[_Match] = []  # each person's plain noun, in order: what "the woman" refers back to
        differing: dict[int, int] = {}  # a head's start -> the variable its own must differ from
        later: list[_Match] = []  # ages whose person's word comes after them
        current = -1
        predicated: list[tuple[_Match, _Match]] = []  # (noun, pronoun): "my dad, he is a fisherman"
        predicates = self._predicates_of_pronouns()
        for index, match in enumerate(self.matches):
            said_of = predicates.get(index)
            if said_of is not None and match.start not in members:
                predicated.append((match, said_of))  # the pronoun's person, once pronouns are bound
                continue
            if match.start in members:  # "a couple, he in a cap, she in a raincoat": a member each
                person += 1
                current = person
                join(match, person)
                by_kind.setdefault(match.entry.attribute, []).append(match)
                previous = match
                continue
            if match.entry.is_pronoun:
                continue
            by = owner(match)
            if by is not None:  # a bare age is its person's: "an old man, 80" is old in every candidate
                if by.entry.is_pronoun:
                    continue  # after a pronoun ("he is 80"): once pronouns are bound
                if by.variable < 0:
                    later.append(match)  # its person's word comes after it: "40s, 1girl, solo, mature"
                else:
                    join(match, variables[by.variable].person)
                continue
            if match.start in subject and subject_person is not None:
                join(match, subject_person)  # "1girl, solo, woman": the tag list's one person
            elif self._their_age_of(match, previous, variables, of_person):
                assert previous is not None  # "an old couple in their 80s": one age, of the couple
                join(match, variables[previous.variable].person)
            else:
                new_person = previous is None or not self._same_person(previous, match)
                if new_person or self._kin_again(match, current, variables):
                    head = self._definite_head(index)
                    referent = self._referent(head, heads, variables, differing) if head is not None else None
                    if referent is None:
                        person += 1
                        current = person
                    else:
                        current = referent  # "an old man on a bench ... The man smiles": one person
                join(match, current)
                if match.start in differing and differing[match.start] not in variables[match.variable].differs_from:
                    variables[match.variable].differs_from.append(differing[match.start])
                if self._person_head(match):
                    heads.append(match)
                if match.start in subject:
                    subject_person = current
            by_kind.setdefault(match.entry.attribute, []).append(match)
            previous = match
        for match in later:
            by = owner(match)
            if by is not None and by.variable >= 0:
                join(match, variables[by.variable].person)
            else:
                person += 1
                join(match, person)

        starts = {kind: [m.start for m in matches] for kind, matches in by_kind.items()}
        units: dict[int, list[int]] = {}
        pronoun_roots: dict[int, int] = {}
        free_pronouns: list[int] = []
        of_pair = self._pair_pronouns(members, by_kind)

        def own_person(match: _Match, **constraints: list[int]) -> int:
            """A new variable for a pronoun that is a person of its own (`constraints`: its
            `agrees_with` or `differs_from`)."""
            nonlocal person
            person += 1
            variables.append(_Variable(match.entry.attribute, person, match.entry.value, match.start, **constraints))
            return len(variables) - 1

        named = [m for m in self.matches if (not m.entry.is_pronoun or m.start in members) and m.variable >= 0]
        named_ends = [m.end for m in named]  # in order: matches never overlap
        for match in self.matches:
            if not match.entry.is_pronoun or match.start in members:
                continue
            kind = match.entry.attribute
            if match.start in of_pair:  # "a young couple, his arm around her, her head on his chest"
                match.variable = own_person(match)
                continue
            between = [m.variable for m in by_kind.get(kind, []) if m.start in members]
            if (
                len(between) == 2
                and min(members) < match.start < max(members)
                and len(free_pronouns) < _MAX_FREE_PRONOUNS
            ):
                # "an old couple, he holds her hand, she smiles": either member's, as after both; not
                # lowered with `max_free` (bound to the nearest member, "her" would be refused)
                match.variable = own_person(match, agrees_with=sorted(between))
                free_pronouns.append(match.variable)
                continue
            persons = by_kind.get(kind, [])
            spoken = self._spoken_of(match, named, named_ends, starts.get(kind, []))
            who = variables[spoken.variable].person if spoken is not None else None
            mine = of_person.get((who, kind), []) if who is not None else []
            if who is not None and (not mine or any(variables[v].value == match.entry.value for v in mine)):
                join(match, who)  # "a senior in his 60s", "a newborn asleep on her father's chest"
                continue
            if mine:
                root = mine[0]  # "a senior in his 60s with her cat": another person, of the other value
            elif (
                not persons
                or self._possessor_unnamed(match, persons[0])
                or self._owner_before(match, persons[0])
                or self._reflexive_first(match, starts.get(kind, []))
            ):
                if kind not in pronoun_roots:
                    match.variable = pronoun_roots[kind] = own_person(match)
                    continue
                root = pronoun_roots[kind]
            else:
                position = bisect.bisect_left(starts[kind], match.start)
                persons, position = self._singular_persons(match, persons, position)
                target = persons[position - 1 if position else 0]
                preferred = self._preferred_referent(match, target, persons[: position - 1]) if position else None
                if preferred is not None:
                    bound = self._bind_preferred(match, target, preferred.variable, variables)
                    if bound is not None:
                        match.variable = bound
                        continue
                root = target.variable
                free = (
                    []
                    if preferred is not None
                    else self._free_referents(match, persons[:position], variables, free_pronouns)
                )
                if free and self._agrees_with_one(match, free, variables):
                    # "a bride and groom at the altar, her veil lifted": either's, in every candidate
                    match.variable = own_person(match, agrees_with=free)
                    free_pronouns.append(match.variable)
                    continue
                if free and not self._same_sentence(target.start, match.start):
                    # "Two men at a bar. She walks in": another person, of another value than each
                    # (so that no candidate reads the pronoun as one of them)
                    match.variable = own_person(match, differs_from=free)
                    continue
                if variables[root].value == match.entry.value:
                    match.variable = root
                    continue
                if position and self._same_sentence(target.start, match.start):
                    match.variable = self._rebind(match, target, persons[: position - 1], variables)
                    continue
            unit = units.setdefault(root, [root])
            bound = next((v for v in unit if variables[v].value == match.entry.value), None)
            if bound is None:
                bound = own_person(match, differs_from=list(unit))
                unit.append(bound)
            match.variable = bound
        for match in self.matches:
            by = owner(match)
            if by is not None and by.entry.is_pronoun:
                join(match, variables[by.variable].person)
        for match, pronoun in predicated:
            who = variables[pronoun.variable].person
            mine = of_person.setdefault((who, pronoun.entry.attribute), [])
            if pronoun.variable not in mine:
                mine.append(pronoun.variable)  # a pronoun of its own person ("he is a fisherman")
            join(match, who)
        return variables

    def _predicates_of_pronouns(self) -> dict[int, _Match]:
        """The subject pronoun whose person each noun says what they are, with the noun's modifiers
        (by index of `self.matches`): the noun comes right after the pronoun and "is" or "was", an
        article and up to two words between, or modifier words ("my dad, he is a fisherman", "my
        tatay, he is fisherman in Bohol", "he is an old Irish fisherman", "she was a retired
        nurse"), where a person word of the pronoun's attribute comes before it (a pronoun of no
        person said before is read forward to the noun: "a cat who thinks she's the queen").
        Read as a new person, the noun had varied apart from the pronoun ("my mom, she is a
        fisherman"). Reads positions and kinds, never a value."""
        said: dict[int, _Match] = {}
        for index, match in enumerate(self.matches):
            if match.entry.is_pronoun or "plural" in match.category:
                continue
            first = index
            while first > 0 and self._modifies(self.matches[first - 1], self.matches[first]):
                first -= 1
            if first == 0:
                continue
            pronoun = self.matches[first - 1]
            if not pronoun.entry.is_pronoun or pronoun.category != "subject_pronoun":
                continue
            if match.entry.attribute != pronoun.entry.attribute:
                continue
            if not any(
                not m.entry.is_pronoun and m.entry.attribute == pronoun.entry.attribute
                for m in self.matches[: first - 1]
            ):
                continue  # a pronoun of no person said before it is bound forward, to this noun too
            head = self.matches[first]
            gap_end = head.article[0] if head.article is not None else head.start
            if _PREDICATE_GAP.fullmatch(self.plain, pronoun.end, gap_end):
                said.update((i, pronoun) for i in range(first, index + 1))
        return said

    def _modifies(self, modifier: _Match, match: _Match) -> bool:
        """Whether `modifier` is a word said of the person `match` names, right before it ("old" in
        "an old fisherman", "Irish" in "old, Irish fisherman")."""
        if not modifier.entry.categories <= _MODIFIER_CATEGORIES or match.article is not None:
            return False
        return _MODIFIER_GAP.fullmatch(self.plain, modifier.end, match.start) is not None

    @staticmethod
    def _reflexive_first(pronoun: _Match, starts: list[int]) -> bool:
        """Whether `pronoun` is a reflexive before every person word of its attribute: it speaks of
        its clause's subject, said before it, never of a person named after it ("a veteran teaching
        himself to fish after his son moved away" is the veteran, not the son)."""
        return "reflexive_pronoun" in pronoun.entry.categories and not bisect.bisect_left(starts, pronoun.start)

    def _free_referents(
        self, pronoun: _Match, before: list[_Match], variables: list[_Variable], free: list[int]
    ) -> list[int]:
        """The variables of the persons a pronoun may speak of, where two or more persons of its
        kind are named before it and its own sentence names none or several of them: it is then a
        variable of its own that equals one of theirs in every candidate ("a bride and groom at the
        altar, her veil lifted": the bride's or the groom's; "A man and a woman walk. He smiles").
        A pronoun after the one person of its sentence is read as before ("... The old man wears a
        turban, his beard tucked": a grandson's beard would be no reading). Read from positions
        only, never a value. Bound to the nearest person that
        agrees by value, the persons it passed had to differ from it in every candidate (or a
        candidate would have bound it to them), so the couple's gender mix was the user's in every
        candidate: what the cloud learns of a couple. Each such pronoun multiplies the pair's
        candidates by two, so past `max_free` of a prompt (`_MAX_FREE_PRONOUNS`, lowered where the
        set passes `_FREE_SET_LIMIT`) the nearest-person rules bind again (empty list)."""
        if len(free) >= self.max_free:
            return []
        mine = [m for m in before if m.variable >= 0]
        here = {variables[m.variable].person for m in mine if self._same_sentence(m.start, pronoun.start)}
        if len(here) == 1 or len({variables[m.variable].person for m in mine}) < 2:
            return []  # "... The old man wears a turban, his beard tucked": the one person of its sentence
        if pronoun.category == "subject_pronoun":  # an object or a possessive often speaks of another
            clause = [m for m in mine if self._same_clause(m.end, pronoun.start)]
            if len({variables[m.variable].person for m in clause}) == 1 and not any(m.entry.is_pronoun for m in clause):
                return []  # "..., my mum cries every time she sees it": the one person of its clause
        return sorted({m.variable for m in mine})

    def _same_clause(self, start: int, end: int) -> bool:
        """Whether no mark that ends a clause (a comma, a semicolon, a colon, a dash, a sentence's
        end) stands between `start` and `end`: "my dad in agbada, my mum cries every time she sees
        it" holds one person in the clause of "she"."""
        return _CLAUSE_MARK.search(self.text, start, end) is None

    def _agrees_with_one(self, pronoun: _Match, free: list[int], variables: list[_Variable]) -> bool:
        """Whether the user's pronoun agrees with one of the persons it may speak of: the same value,
        or a group's partial value ("men and women ... he": one of them). Where none agrees ("two
        boys, she ...") it is another person, or the prompt is refused, as before."""
        spec = self.taxonomy.attributes[pronoun.entry.attribute]
        full = spec.values_for(spec.categories)
        return any(variables[v].value == pronoun.entry.value or variables[v].value not in full for v in free)

    def _kin_again(self, match: _Match, current: int, variables: list[_Variable]) -> bool:
        """Whether `match` is a kin noun of a category that the person being read already has a noun
        of ("mom is filipina, dad is german": "dad" after the comma is no second word of the mom, whose
        two parent nouns would have had to differ in every candidate). Reads categories, never a value."""
        if match.category not in _KIN_CATEGORIES or match.entry.is_pronoun or current < 0:
            return False
        return any(
            m.category == match.category
            and not m.entry.is_pronoun
            and 0 <= m.variable < len(variables)
            and variables[m.variable].person == current
            for m in self.matches[: match.index]
        )

    def _singular_persons(self, pronoun: _Match, persons: list[_Match], position: int) -> tuple[list[_Match], int]:
        """The persons a pronoun may speak of, and how many come before it: a pronoun of one person
        ("he", "her") right after a plural noun ("girls", "sons") speaks of no member of it where
        a person named by a singular word comes before it in its sentence ("two teenage girls and
        their little brother ..., the girls are arguing, he's eating snow"; "the widow ..., her
        adult sons telling stories around her"): the plural words are passed over. Singular or
        plural is the word's form, the same in every candidate, so the binding is read alike;
        bound to the nearest plural by value, the brother had been the girls' other gender in
        every candidate. A plural with no singular person before it stays ("a group of boys, one
        filming on his phone")."""
        if not position or "plural" not in persons[position - 1].category:
            return persons, position
        singular = [p for p in persons[:position] if "plural" not in p.category]
        if not singular or not self._same_sentence(singular[-1].start, pronoun.start):
            return persons, position
        after = persons[position:]
        return singular + after, len(singular)

    def _preferred_referent(self, pronoun: _Match, nearest: _Match, earlier: list[_Match]) -> _Match | None:
        """The person a pronoun speaks of by the shape of its clause rather than the nearest person
        (`nearest`), read from the text alone, never a value, so every candidate reads it alike:
        - a possessive after "his/her <person> <preposition>" before a part of the body that carries
          is the first possessive's: "a father carrying his daughter on his shoulders", "a mother
          holding her son in her arms" (not "his mum in her kitchen", "her daughter in her 80s");
        - an object pronoun right after "<person> <verb or preposition>", or a verb and a
          preposition, is not that person's (it would be "himself"): "his granddaughter pushing
          him", "his wife beside him", "his mom laughing beside him" speak of the one named before;
        - so is a possessive before a part of the body one rests on, right after "<person> [word]
          on/in": "a schoolboy asleep on her shoulder", "a baby in his arms";
        - two subject pronouns after a pair joined by "and" speak of its two persons in order
          (`_respective`)."""
        if not self._same_sentence(nearest.start, pronoun.start):
            return None
        respective = self._respective(pronoun, nearest, earlier)
        if respective is not None:
            return respective
        parallel = self._parallel_possessive(pronoun, nearest)
        if parallel is not None:
            return parallel
        gap = self.folded[nearest.end : pronoun.start]
        part = _NEXT_WORD.match(self.folded, pronoun.end)
        carried = part is not None and part.group(1) in _CARRYING_PARTS and _CARRIED_GAP.fullmatch(gap)
        if pronoun.category == "possessive_determiner" and carried and nearest.index > 0:
            first = self.matches[nearest.index - 1]
            between = self.folded[first.end : nearest.start]
            if (
                first.entry.is_pronoun
                and first.category == "possessive_determiner"
                and first.entry.attribute == pronoun.entry.attribute
                and first.variable >= 0
                and _WORDS_GAP.fullmatch(between)
                and len(between.split()) <= 1
            ):
                return first
        resting = part is not None and part.group(1) in _RESTED_ON_PARTS and _RESTING_GAP.fullmatch(gap)
        own_clause = pronoun.category == "object_pronoun" and (
            _OWN_CLAUSE_GAP.fullmatch(gap) or self._object_of_subject_pronoun(pronoun, nearest)
        )
        if (own_clause or (pronoun.category == "possessive_determiner" and resting)) and earlier:
            before = earlier[-1]
            if self._same_sentence(before.start, pronoun.start):
                return before
        return None

    def _object_of_subject_pronoun(self, pronoun: _Match, nearest: _Match) -> bool:
        """Whether an object pronoun follows, across a verb (and a preposition), a subject pronoun
        bound to the nearest person: "a man and a woman, she's hugging him" is not hers, who would
        have said "herself"."""
        if pronoun.index < 1:
            return False
        subject = self.matches[pronoun.index - 1]
        if not subject.entry.is_pronoun or "subject_pronoun" not in subject.entry.categories:
            return False
        if subject.entry.attribute != pronoun.entry.attribute or subject.variable != nearest.variable:
            return False
        return bool(_OWN_CLAUSE_GAP.fullmatch(self.folded, subject.end, pronoun.start))

    def _parallel_possessive(self, pronoun: _Match, nearest: _Match) -> _Match | None:
        """The earlier possessive of a list of possessed persons that `pronoun` continues: "her dad,
        her grandmother", "her mother-in-law and her best friend", "his kids, his wife" name what
        one person has, so the second possessive is the first one's (returned), never the person
        just named after the first. Read from positions only: bound to the nearest person by
        value, "a girl hugging her dad, her grandmother crying" had kept the girl and her dad of
        other genders in every candidate."""
        if pronoun.category != "possessive_determiner" or nearest.index < 1:
            return None
        first = self.matches[nearest.index - 1]
        if (
            not first.entry.is_pronoun
            or first.category != "possessive_determiner"
            or first.entry.attribute != pronoun.entry.attribute
            or first.variable < 0
        ):
            return None
        if not _WORDS_GAP.fullmatch(self.folded[first.end : nearest.start]):
            return None  # "her two little daughters": words only between the possessive and its person
        if nearest.index + 1 != pronoun.index or not _LIST_GAP.fullmatch(self.folded, nearest.end, pronoun.start):
            return None
        return first

    def _respective(self, pronoun: _Match, nearest: _Match, earlier: list[_Match]) -> _Match | None:
        """The person of a pair joined by "and" that a subject pronoun speaks of where exactly two
        subject pronouns of its kind follow the pair in its sentence, no other person between: the
        first pronoun the first person's, the second the second's ("a husband and wife arguing, he's
        in shorts and she's in a blanket"). Read from positions only, so a couple of one gender
        ("a wife and wife ..., she's ... she's") binds as the mixed one does, and the set varies the
        couple's mix over every combination instead of keeping it mixed in every candidate."""
        if "subject_pronoun" not in pronoun.entry.categories or not earlier:
            return None
        first, kind = earlier[-1], pronoun.entry.attribute
        if first.entry.is_pronoun or nearest.entry.is_pronoun or first.entry.attribute != kind:
            return None
        if first.variable < 0 or nearest.variable < 0 or first.variable == nearest.variable:
            return None
        if not _PAIR_GAP.fullmatch(self.folded, first.end, nearest.start):
            return None
        after = [m for m in self.matches if m.start >= nearest.end and m.entry.attribute == kind]
        if any(not m.entry.is_pronoun for m in after if m.start < pronoun.start):
            return None  # another person named before the pronoun
        subjects = [
            m
            for m in after
            if m.entry.is_pronoun
            and "subject_pronoun" in m.entry.categories
            and self._same_sentence(nearest.start, m.start)
        ]
        if len(subjects) != 2 or any(not m.entry.is_pronoun for m in after if m.start < subjects[1].start):
            return None
        if pronoun is subjects[0]:
            return first
        return nearest if pronoun is subjects[1] else None

    def _bind_preferred(
        self, pronoun: _Match, nearest: _Match, preferred: int, variables: list[_Variable]
    ) -> int | None:
        """The variable a pronoun binds to when its clause prefers another person than the nearest
        (`_preferred_referent`): that person's where it agrees; else the nearest person's where that
        agrees, who then differs from the preferred one in every candidate (so no candidate reads the
        preferred one agreeing, which would bind there); else None (the nearest-person rules)."""
        if variables[preferred].value == pronoun.entry.value:
            return preferred
        mine = variables[nearest.variable]
        if mine.value != pronoun.entry.value or nearest.variable == preferred:
            return None
        if preferred not in mine.differs_from and nearest.variable not in variables[preferred].differs_from:
            mine.differs_from.append(preferred)
        return nearest.variable

    def _owner_before(self, match: _Match, first: _Match) -> bool:
        """Whether a possessive with no person of its kind before it comes before another possessive
        of its kind that owns the first such person (`_possessor_unnamed`): "a soldier hugging his
        kids, his wife running toward them". The first speaks of the owner too, not of the wife,
        whom it would otherwise bind to ahead (as "she" in "she smiles at a man"), differing from
        her in every candidate: the couple would be mixed in every one."""
        if match.category != "possessive_determiner" or first.start < match.end:
            return False
        kind = match.entry.attribute
        if any(m.entry.is_pronoun and m.entry.attribute == kind for m in self.matches[: match.index]):
            return False  # "she hugs her dog while her little brother laughs": hers, as bound before
        return any(
            other.entry.is_pronoun
            and other.entry.attribute == match.entry.attribute
            and match.end <= other.start < first.start
            and self._possessor_unnamed(other, first)
            for other in self.matches[match.index + 1 : first.index]
        )

    def _possessor_unnamed(self, match: _Match, first: _Match) -> bool:
        """Whether a possessive pronoun that no person of its kind comes before is right before
        the first one, in its phrase with no comma and no other slot between ("orc chieftain and his
        sons", "her two daughters"; not "his young son", whose "young" may render any word): that
        person is the one possessed, and the pronoun is its owner's, whom no taxonomy word names,
        so it is a person of its own (bound to the sons, "his" had made them "her daughters")."""
        if match.category != "possessive_determiner" or first.start < match.end:  # its slot's, as rendered
            return False
        following = self.matches[match.index + 1] if match.index + 1 < len(self.matches) else None
        if following is not first and not self._adjective_of(following, first):
            return False  # a slot between renders words of its own ("his kids man": "grade-schoolers")
        assert following is not None
        gap = self.folded[match.end : following.start]  # no comma: "whispering to her, female judge"
        return bool(_WORDS_GAP.fullmatch(gap)) and _few_words_of_a_phrase(gap.split())

    def _adjective_of(self, match: _Match | None, noun: _Match) -> bool:
        """Whether `match` is an adjective slot right before `noun` with nothing but a space between
        ("her teenage son", "his elderly father", "her 12-year-old son"): every form it renders is
        one word of the phrase."""
        return (
            match is not None
            and not match.entry.is_pronoun
            and match.category in ("adjective", "years_old")
            and match.index + 1 < len(self.matches)
            and self.matches[match.index + 1] is noun
            and not self.folded[match.end : noun.start].strip(" \t")
        )

    def _distributive(self) -> set[int]:
        """Starts of the two subject pronouns that name a group of two one member each: "an old
        couple on a bench, he in a flat cap, she in a raincoat". Each is its own person, whose gender
        varies apart from the other's, so the couple's mix varies too (one "he" and one "she" in
        every candidate would tell the cloud it is a man and a woman). Reads the group word, the
        pronouns' category and where each opens a clause, never a value: "he ..., he ..." reads the
        same. A group word the taxonomy varies ("two sisters") keeps its own binding. Possessives
        that open a phrase each are members too: "a Hindu couple at their wedding, her red sari, his
        white kurta" (read as one person and the other value, the two had been mixed in every
        candidate)."""
        subjects = [m for m in self.matches if "subject_pronoun" in m.entry.categories]
        found = self._members(subjects)
        if found:
            return found
        return self._members(
            [
                m
                for m in self.matches
                if "subject_pronoun" in m.entry.categories
                or (m.entry.is_pronoun and m.category == "possessive_determiner")
            ]
        )

    def _members(self, pronouns: list[_Match]) -> set[int]:
        """`_distributive` over the pronouns given (subjects, or subjects and possessives)."""
        if len(pronouns) < 2:
            return set()
        pair = _PAIR.search(self.folded, 0, pronouns[0].start) or self._two_persons(pronouns[0].start)
        if pair is None or any(m.start < pair.end() and pair.start() < m.end for m in self.matches):
            return set()
        if any(not m.entry.is_pronoun and pair.end() <= m.start < pronouns[1].start for m in self.matches):
            return set()  # "a couple, he holds a baby, she ...": another person named between
        opening = [m for m in pronouns if _CLAUSE_START.search(self.folded, max(0, m.start - 12), m.start)]
        if len(opening) < 2 or opening[:2] != pronouns[:2]:
            return set()
        first, second = opening[:2]
        if not self._same_sentence(pair.start(), second.start):
            return set()
        if "possessive_determiner" in (first.category, second.category) and any(
            m.entry.is_pronoun and first.start < m.start < second.start for m in self.matches
        ):
            return set()  # "a young couple, his arm around her, her head on his chest": "her" between
        return {first.start, second.start}

    def _pair_pronouns(self, members: set[int], by_kind: dict[int, list[_Match]]) -> set[int]:
        """Starts of the pronouns that speak of a group of two that names no one, where no member
        rule reads them (`_distributive`): "a young couple, his arm around her, her head on his
        chest". Each may be either member's, so each is a variable of its own and the set holds
        every pattern (N = 2**k for k pronouns, at most `_MAX_PAIR_PRONOUNS`); bound to one another
        by value, "his" and "her" had differed in every candidate, the couple mixed in each."""
        if members:
            return set()
        pronouns = [m for m in self.matches if m.entry.is_pronoun]
        if not pronouns or len(pronouns) > _MAX_PAIR_PRONOUNS:
            return set()
        kinds = {m.entry.attribute for m in pronouns}
        if len(kinds) != 1 or by_kind.get(next(iter(kinds))):
            return set()  # a person of the pronouns' kind is named: the other rules read them
        pair = _PAIR.search(self.folded, 0, pronouns[0].start)
        if pair is None or any(m.start < pair.end() and pair.start() < m.end for m in self.matches):
            return set()
        if self._sentence_breaks(pair.start(), pronouns[0].start) > 1:
            return set()  # the pair's sentence or the next: "An old couple dances. He wears slippers, she ..."
        return {m.start for m in pronouns}

    def _two_persons(self, end: int) -> re.Match[str] | None:
        """Two persons named by nouns of no gender and joined by "and" before `end` ("pilot and
        flight attendant ..., he's in a uniform cap, she has a red scarf"): a group of two."""
        for found in _TWO_NOUNS.finditer(self.folded, 0, end):
            if is_person_noun(found.group(1)) and any(is_person_noun(w) for w in found.group(2).split()):
                return found
        return None

    def _person_head(self, match: _Match) -> bool:
        """Whether `match` is one person's noun of gender ("man", "grandmother", "waitress"), which a
        later "the" with a noun of its kind may refer back to."""
        category = match.category
        return (
            not match.entry.is_pronoun
            and self.taxonomy.attributes[match.entry.attribute].name == "gender"
            and self.binding.rule(category) == ALWAYS
            and "plural" not in category
            and not category.startswith("tag_")
        )

    def _definite_head(self, index: int) -> _Match | None:
        """The plain noun heading the noun phrase that opens at match `index` when "the" is
        before it ("The old woman laughs", "the man"), else None. Reads kinds and text only."""
        before = self._word_before(self.matches[index].start)
        if before is None or before[0] != "the":
            return None  # most phrases: no walk along them
        phrase = [self.matches[index]]
        while (
            index + 1 < len(self.matches)
            and not self.matches[index + 1].entry.is_pronoun
            and self._same_person(self.matches[index], self.matches[index + 1])
        ):
            index += 1
            phrase.append(self.matches[index])
        return next((m for m in reversed(phrase) if self._person_head(m)), None)

    def _referent(
        self, head: _Match, heads: list[_Match], variables: list[_Variable], differing: dict[int, int]
    ) -> int | None:
        """The person "the woman", "the man", "the girl" or "the boy" refers back to where no noun
        of its kind was said before: the one person named by another word of its age ("a young
        housewife ... The woman smiles", "an abuela ... The old woman laughs", "his granddaughter
        ... The girl"). Their values agree: one person; they differ: another person, whose noun
        differs from that one's in every candidate. Where a noun of its kind was said before ("a
        bride ... the groom", "an old man ... The man"), or two or more persons of its age, it is
        read as a person of its own, as before: bound to a word of its kind, "the groom" after one
        bride would be a second person of the other gender in every candidate, which tells the
        cloud the couple's mix. Which of these holds reads kinds and positions only, and each keeps
        its reading in every member of the set, so the set stays closed."""
        if head.category not in ("noun_singular", "noun_child_singular"):
            return None
        if any(h.entry.attribute == head.entry.attribute and h.category == head.category for h in heads):
            return None
        young = head.category == "noun_child_singular"  # "the girl": a child's word; "the woman": any other
        same = [h for h in heads if h.entry.attribute == head.entry.attribute and (h.category in _CHILD_HEADS) == young]
        persons = {variables[h.variable].person for h in same}
        if len(persons) != 1:
            return None
        only = variables[same[-1].variable]
        if only.value == head.entry.value:
            return only.person
        differing[head.start] = same[-1].variable
        return None

    def _spoken_of(self, pronoun: _Match, named: list[_Match], ends: list[int], starts: list[int]) -> _Match | None:
        """The word of the person a pronoun speaks of when no person of its attribute is named
        before it: the last person word before it in its sentence ("a senior in his 60s": the
        senior's gender, not another person's; "a newborn on her father's chest": the newborn's).
        None otherwise, as for "a man holding her hat" (the usual binding). Reads positions and
        kinds only."""
        if bisect.bisect_left(starts, pronoun.start):
            return None  # a person of the attribute before it: the usual binding
        at = bisect.bisect_right(ends, pronoun.start)
        if not at or not self._same_sentence(named[at - 1].start, pronoun.start):
            return None
        return named[at - 1]

    def _their_age_of(
        self,
        match: _Match,
        previous: _Match | None,
        variables: list[_Variable],
        of_person: dict[tuple[int, int], list[int]],
    ) -> bool:
        """Whether `match` is a decade after "their" ("an old couple in their 80s", "two elderly
        women in their 70s") whose person, the one just named before it, has an age word of the same
        attribute: the decade is theirs, so the two agree in every candidate ("a young couple in
        their 70s" is no decoy). Reads positions and kinds, never a value."""
        if previous is None or match.start not in self.their_ages:
            return False
        return (variables[previous.variable].person, match.entry.attribute) in of_person

    def _solo_subject(self) -> set[int]:
        """The starts of the person words of a tag list that says "solo" (the tag alone, not "solo
        focus") and has no count tag: one person, so "solo, old woman, granny" agree in every
        candidate instead of reading "solo, old man, granny". Each such tag holds one person's words
        (no pronoun, no plural, one noun phrase); otherwise nothing is joined. Reads the text and the
        categories, never a value."""
        if any(m.category.startswith("tag_") for m in self.matches):
            return set()
        if not any(_TAG_TEXT.sub(" ", tag.group()).split() == ["solo"] for tag in _TAG.finditer(self.folded)):
            return set()
        starts: set[int] = set()
        for tag in _TAG.finditer(self.folded):
            inside = [m for m in self.matches if tag.start() <= m.start < tag.end()]
            if any("plural" in m.category for m in inside) or not self._one_persons_words(inside):
                return set()
            starts |= {m.start for m in inside}
        return starts

    def _one_persons_words(self, inside: list[_Match]) -> bool:
        """Whether the slots of a tag are one person's words: no pronoun, one noun phrase."""
        return not any(m.entry.is_pronoun for m in inside) and all(
            self._same_person(a, b) for a, b in itertools.pairwise(inside)
        )

    def _tag_subject(self) -> set[int]:
        """The starts of the words that describe the one person of a tag list: its only count tag,
        a single one ("1girl", "1boy"), and the person words of its other tags ("1girl, solo,
        woman, kimono", "1boy, old man, smoking", "1girl, dark skin, dark-skinned female"), which
        then agree with it in every candidate instead of reading "1boy, solo, woman". The other
        tags are the count tag's person when the list says "solo", else when one of them at most
        holds a noun of the count's attribute, or their nouns are each of another kind ("1girl,
        milf, mother"; "1girl, woman, old man" may be two persons); each
        holds one person's words (no pronoun, no plural, one noun phrase). A group's only count tag
        ("2boys") takes the tags that hold no person word, only what is said of persons ("2boys,
        elderly, 80 years old, twins": one age, the group's, in every candidate). Reads the
        categories, rules and text, never a value, so every member of a set reads the same."""
        counts = [m for m in self.matches if m.category.startswith("tag_")]
        if len(counts) != 1 or not (counts[0].category == "tag_single" or counts[0].category.startswith("tag_plural_")):
            return set()
        kind = counts[0].entry.attribute
        group = counts[0].category != "tag_single"
        tags: list[list[_Match]] = []
        multiple: list[_Match] = []
        for tag in _TAG.finditer(self.folded):
            inside = [m for m in self.matches if tag.start() <= m.start < tag.end() and m is not counts[0]]
            if not inside:
                continue
            if group and self._multiple_tag(tag, inside, kind):
                multiple.append(inside[0])  # "2girls, multiple girls": the group's own tag
                continue
            if any("plural" in m.category for m in inside) or not self._one_persons_words(inside):
                return set()
            tags.append(inside)
        # a tag without a noun of the count's attribute ("dark skin", "elderly", "mature female":
        # a modifier standing alone) tells of the same person
        named = [inside for inside in tags if any(m.entry.attribute == kind and m.rule != MODIFIER for m in inside)]
        if not tags:
            return {counts[0].start} | {m.start for m in multiple} if multiple else set()
        if group and any(
            m.entry.attribute == kind or m.rule not in _GROUP_TAG_RULES for inside in tags for m in inside
        ):
            return set()  # a group's count ("2boys"): only its tags without a person word are the group's
        if len(named) > 1 and _SOLO.search(self.folded) is None:
            # nouns of one kind may be two persons ("1girl, woman, old man"); nouns of different
            # kinds describe the one the count tag names ("1girl, milf, mother", "1boy, bishounen,
            # priest")
            kinds = [m.entry.categories for inside in named for m in inside if m.entry.attribute == kind]
            if len(kinds) != len(set(kinds)):
                return set()
        return {counts[0].start} | {m.start for m in multiple} | {m.start for inside in tags for m in inside}

    def _multiple_tag(self, tag: re.Match[str], inside: list[_Match], kind: int) -> bool:
        """Whether a tag is Danbooru's "multiple girls" / "multiple boys": "multiple" and one plural
        noun of the count tag's attribute, which names the count tag's group ("2girls, multiple
        girls"), so the two agree in every candidate instead of reading "2boys, multiple girls"."""
        if len(inside) != 1 or inside[0].entry.attribute != kind or "plural" not in inside[0].category:
            return False
        before = _TAG_TEXT.sub(" ", self.folded[tag.start() : inside[0].start]).split()
        after = _TAG_TEXT.sub(" ", self.folded[inside[0].end : tag.end()]).split()
        return before == ["multiple"] and not after

    def _rebind(self, pronoun: _Match, target: _Match, earlier: list[_Match], variables: list[_Variable]) -> int:
        """A pronoun that disagrees with the person just before it in its sentence refers to the
        nearest earlier person (of another noun phrase) that agrees ("a girl ... Her grandfather, a
        tall man, holds her hand": the girl); that person then differs in every candidate from
        each person named between (the man, the grandfather), so every candidate reads the pronoun
        as the same person. If none agrees, no candidate set can stay consistent."""
        mine = variables[target.variable]
        between = [target]
        for other in reversed(earlier):
            found = variables[other.variable]
            if found.person == mine.person:
                continue
            if found.value != pronoun.entry.value:
                between.append(other)
                continue
            for skipped in between:
                passed = variables[skipped.variable]
                if skipped.variable not in found.differs_from and other.variable not in passed.differs_from:
                    found.differs_from.append(skipped.variable)
            return other.variable
        said, noun = self.text[pronoun.start : pronoun.end], self.text[target.start : target.end]
        name = self.taxonomy.attributes[pronoun.entry.attribute].name
        raise InvalidInputError(
            f"cannot vary {name} consistently: {said!r} disagrees with {noun!r}, the person it refers to, "
            f"and no other person in the prompt agrees; reword the prompt so they agree (or name the other person)"
        )

    def _same_sentence(self, start: int, end: int) -> bool:
        return self._sentence_breaks(start, end) == 0

    def _sentence_breaks(self, start: int, end: int) -> int:
        """How many sentences end between `start` and `end` (an abbreviation's dot ends none)."""
        word_start = start < len(self.folded) and (start == 0 or not _WORD_CHAR.match(self.folded[start - 1]))
        if not (word_start and _WORD_CHAR.match(self.folded[start])):
            breaks = _SENTENCE_BREAK.finditer(self.folded, start, end + 1)  # not at a word's start: read from there
            return sum(found.group(1) not in _ABBREVIATIONS for found in breaks)
        # from a word's start, the breaks found there are the text's own: counted from their
        # positions, so that a long prompt's many pronouns do not read it again each time
        starts, ends = self._breaks
        return max(0, bisect.bisect_right(ends, end + 1) - bisect.bisect_left(starts, start))

    @functools.cached_property
    def _breaks(self) -> tuple[list[int], list[int]]:
        """The starts and ends of the text's sentence breaks (`_sentence_breaks`), in order."""
        found = [m for m in _SENTENCE_BREAK.finditer(self.folded) if m.group(1) not in _ABBREVIATIONS]
        return [m.start() for m in found], [m.end() for m in found]

    def _same_person(self, previous: _Match, match: _Match) -> bool:
        """Whether `match` continues the noun phrase of `previous` ("young ... African woman",
        "Mrs. Emma", "the woman is a mother", "a woman named Emma")."""
        if match.index - previous.index > 1:
            return False
        if self._child_noun_aged(previous, match):
            return True  # "a teenager, 15 years old", "two kids, 5 years old": the child noun's own age
        if self._one_child_tagged(previous, match):
            return True  # "child, boy, easter egg hunt": two tags of one child
        if ("plural" in previous.category) != ("plural" in match.category) and MODIFIER not in (
            previous.rule,
            match.rule,
        ):
            return False  # a group and one person are two ("boys Aafke", "women and men grandpa")
        gap_end = match.article[0] if match.article is not None else match.start
        gap = self.plain[previous.end : gap_end]  # an accent hides nothing: "a guy èarly 20s"
        if _SPEAKER.search(gap):
            return False  # "my grandpa, he's 78, I'm 10": the speaker between, a person of their own
        if _ONE_MORE.fullmatch(gap):
            return False  # "one Italian one Puerto Rican", "one Black, the other Korean": two members
        if match.category == "decade" and not previous.entry.is_pronoun and _DECADE_TAG_GAP.fullmatch(gap):
            return True  # "old man, 70s", "a woman, early 30s", "woman 30s,": the tag right after a person is their age
        if self._years_old_tag_after(previous, match, gap):
            return True  # "snowboarder girl, 19 y/o, sitting", "a man 40 y/o": the person's age as a tag
        words = gap.replace(",", " ").split()
        if match.category in _AGE_PREDICATES and match.article is None and (not words or _WEIGHT_GAP.fullmatch(gap)):
            # "a young woman aged 25", "(old man:1.2), aged 80"
            return previous.entry.attribute != match.entry.attribute
        if previous.rule == ALWAYS and previous.category != "adjective":
            if len(words) == 1 and (words[0] in LINKING or words[0] in ("named", "called")):
                return True
            if _BRACKET_OPENS.fullmatch(gap) and not previous.entry.is_pronoun:
                # "my bf (29-year-old male)", as "my bf (29M)" is read: the bracket describes him;
                # two persons there had read "my boyfriend (78-year-old female)"
                return True
            if match.rule == ALWAYS and match.article is None and not gap.strip():
                # "a newborn baby", "a mother daughter duo"; two groups of one attribute, or two
                # kin nouns of one category, are a list without its commas ("men women and kids")
                same_kind = previous.entry.attribute == match.entry.attribute
                if same_kind and previous.category == match.category and match.category in _KIN_CATEGORIES:
                    return False  # "mom dad and three kids", "grandma grandpa": two persons, each varied
                return not (same_kind and "plural" in previous.category and "plural" in match.category)
            return match.rule == CAPITALISED and match.article is None and gap.strip() in ("", ",")
        if self._apposition(previous, match):
            return True
        if match.article is not None:
            return False
        opened = self.text[previous.start - 1 : previous.start] in ("(", "[", "{")
        if previous.rule == MODIFIER and opened and _WEIGHT_BEFORE.fullmatch(gap.rstrip(" \t")):
            return True  # "(old:1.2) man", "((older)) woman": a weighted adjective and its noun
        if previous.rule == TITLE or (previous.rule == CAPITALISED and match.rule == CAPITALISED):
            return bool(_TITLE_GAP_OK.fullmatch(gap))
        if (
            previous.entry.attribute == match.entry.attribute
            and self.taxonomy.attributes[match.entry.attribute].name == "gender"
            and "," in gap
            and any(is_person_head(_bare(w)) for w in gap.split(",")[0].split())
            and (head := _NEXT_WORD.match(self.folded, match.end)) is not None
            and is_person_head(head.group(1))
        ):
            return False  # "female teacher, male students": two phrases, each with its person
        return bool(_GAP_OK.fullmatch(gap)) and _few_words_of_a_phrase(words)

    def _years_old_tag_after(self, previous: _Match, match: _Match, gap: str) -> bool:
        """Whether `match` is an age written as "19-year-old" (or "19 y/o") right after a person noun,
        alone or after a comma, that heads nothing: no word follows it in its tag or a function word
        does ("snowboarder girl, 19 y/o, sitting", "a man 40 y/o"). It is that person's age, not a
        second person's. Reads the category and the text around it, never a value."""
        if match.category != "years_old" or match.article is not None or previous.entry.is_pronoun:
            return False
        if previous.rule != ALWAYS or previous.category == "adjective" or not _WEIGHT_GAP.fullmatch(gap):
            return False
        if previous.entry.attribute == match.entry.attribute:
            return False  # "teen, 16 years old": a child noun and its age, one attribute, read as before
        kind, token = self._next_token(match.end)
        return kind in ("end", "punct") or (kind == "word" and isinstance(token, str) and token in FUNCTION_WORDS)

    def _one_child_tagged(self, previous: _Match, match: _Match) -> bool:
        """Whether two tags next to each other name one child: the child noun of an adult age
        ("child": `binding.json`, ``agreement``) and a noun only a child can be of another
        attribute ("boy", "schoolgirl"), in either order ("child, boy", "girl, child"), or a word of
        a child's age after it ("child, toddler"). That child
        keeps the age noun as written (`_agree`), as "a child boy" would. Reads categories and the
        gap only, never a value."""
        if previous.rule != ALWAYS or match.rule != ALWAYS or match.article is not None:
            return False
        if self.folded[previous.end : match.start].strip(" \t") != ",":
            return False
        rules = self.binding

        def age_child(m: _Match) -> bool:
            return self.taxonomy.attributes[m.entry.attribute].name in rules.adult_ages and m.category == "child_noun"

        def only_a_child(m: _Match, of_age: bool = False) -> bool:
            name = self.taxonomy.attributes[m.entry.attribute].name
            if "plural" in m.category:
                return False
            # after "child", a word of a child's own age names that child ("child, toddler"); before
            # it, "child" is what the default policy sends for that word ("baby, child, 6 months")
            return m.category in rules.child_categories.get(name, ()) or (of_age and name in rules.child_attributes)

        # ... not where the tags count several persons ("3girls, sisters, child, teenager, adult",
        # "1girl, 1boy, siblings, child, toddler")
        tags = [m.category for m in self.matches if m.category.startswith("tag_")]
        several = len(tags) > 1 or any(c.startswith("tag_plural") for c in tags)
        return (age_child(previous) and only_a_child(match, of_age=not several)) or (
            only_a_child(previous) and age_child(match)
        )

    def _child_noun_aged(self, previous: _Match, match: _Match) -> bool:
        """Whether `match` is an age after a comma or an opening bracket that follows a child noun ("a
        teenager, 15 years old", "a baby, 8 months old", "two kids, 5 years old", "three kids (4, 7
        and 11)"): that noun's own age. Reads categories and the text between, never a value."""
        if match.article is not None or match.index - previous.index != 1:
            return False
        if match.category not in _AGE_PREDICATES and not (
            match.category == "years_old" and self._next_token(match.end)[0] in ("punct", "end")
        ):
            return False  # ... "baby, 1 year old, cake smash": a tag of its own says the age as a predicate does
        if previous.rule != ALWAYS:
            return False
        return bool(previous.entry.categories & _CHILD_NOUN_CATEGORIES) and (
            self.folded[previous.end : match.start].strip() in (",", "(")
        )

    def _apposition(self, previous: _Match, match: _Match) -> bool:
        """Whether `match` heads a noun phrase after a comma that renames the titled or named person
        of `previous` ("Mr. Tanaka, a retired salaryman, feeding pigeons"): one person, so the
        title and the noun agree in every candidate."""
        if previous.rule not in (TITLE, CAPITALISED) or match.rule not in (ALWAYS, MODIFIER):
            return False
        if "plural" in previous.category or "plural" in match.category or match.entry.is_pronoun:
            return False
        start = match.article[0] if match.article is not None else match.start
        found = _APPOSITION.fullmatch(self.text, previous.end, start)
        if found is None:
            return False
        names, words = found.group(1).split(), found.group(2).split()
        return all(n[:1].isupper() for n in names) and not any(fold(w) in FUNCTION_WORDS for w in words)

    def _attributes(
        self,
        variables: list[_Variable],
        order: list[int],
        new_index: dict[int, int],
        categories: dict[int, set[str]],
    ) -> tuple[Attribute, ...]:
        persons: dict[int, int] = {}
        for old in order:
            persons.setdefault(variables[old].person, len(persons))
        names: dict[int, str] = {}
        taken: set[str] = set()
        for old in order:
            base = f"{self.taxonomy.attributes[variables[old].kind].name}_{persons[variables[old].person]}"
            name, suffix = base, 2
            while name in taken:
                name, suffix = f"{base}_{suffix}", suffix + 1
            names[old] = name
            taken.add(name)
        return tuple(
            _attribute(
                names[old],
                self.taxonomy.attributes[variables[old].kind],
                persons[variables[old].person],
                tuple(names[v] for v in sorted(variables[old].differs_from, key=lambda v: new_index[v])),
                frozenset(categories.get(old, ())),
                tuple(names[v] for v in sorted(variables[old].agrees_with, key=lambda v: new_index[v])),
            )
            for old in order
        )

    def _form_key(self, match: _Match, attributes: tuple[Attribute, ...]) -> str:
        """What every candidate keeps of the user's word here (a number, a name: `keep.form_key`)."""
        if match.entry.is_pronoun:
            return ""
        spec = self.taxonomy.attributes[match.entry.attribute]
        surface = match.surface or self.folded[match.start : match.end]
        values = attributes[match.variable].values
        if match.range_width:
            key = self._plain_form_key(match, spec, surface, values)
            if range_renders(self._rendered(spec, key, match.category, values)):
                return range_key(key, match.range_separator, match.range_width)
            return key  # a form without digits cannot carry the range: sent as its lower bound
        return self._plain_form_key(match, spec, surface, values)

    def _plain_form_key(self, match: _Match, spec: AttributeSpec, surface: str, values: tuple[str, ...]) -> str:
        if match.bare:
            key = bare_key(spec, match.entry.value, match.category, match.bare, values, match.bare_two_digits)
            if key:
                return key
        key = form_key(self.taxonomy, spec, match.entry.value, match.category, surface, values)
        if (
            key
            and self.text[match.start].isupper()
            and self._before_capitalised(match.end)
            and any(self._title_word(f) for f in self._rendered(spec, key, match.category, values))
        ):
            # "Gentleman Aad" would render "Lady Aafke", which reads as a title and its name: the
            # plain nouns ("Man Aad", "Woman Aafke") read back as they were written (in lower case
            # no such word is a title: "a lady Aafke" / "a gentleman Aad")
            return ""
        return key

    def _rendered(self, spec: AttributeSpec, key: str, category: str, values: tuple[str, ...]) -> list[str]:
        return [render_form(self.taxonomy, spec, v, category, key) for v in values]

    def _title_word(self, form: str) -> bool:
        """Whether `form` can be read as a title ("Lady", "Dame", "Sir")."""
        entry = self.taxonomy.lexicon.get(surface_key(form))
        return entry is not None and any(self.binding.rule(c) == TITLE for c in entry.categories)

    def _alias_before_noun(self, match: _Match) -> bool:
        """Whether `match` is an alias noun right before a noun of its own person ("quinceañera
        girl", "gigachad businessman"): its slot would render the category's canonical form
        next to the noun ("girl girl", "man businessman"), one person written twice, so the
        template leaves it out and the noun says who the person is. A name is no such noun: "Abuelita
        Rosa" keeps the kin word ("Grandmother Emma")."""
        following = self.matches[match.index + 1] if match.index + 1 < len(self.matches) else None
        if following is None or following.variable != match.variable or following.article is not None:
            return False
        if match.entry.is_pronoun or following.entry.is_pronoun:
            return False
        if match.category == "adjective" or following.category in ("adjective", "first_name"):
            return False  # "Abuelita Rosa", "Lola Caring": a kin title before a name stays a kin word
        if following.category == "courtesy_noun" or following.category.startswith("title_"):
            return False  # "my comadre Doña Lupe": a title says how she is called, not who she is
        if self.text[match.end : following.start] != " ":
            return False
        spec = self.taxonomy.attributes[match.entry.attribute]
        written = surface_key(match.surface or self.folded[match.start : match.end])
        return written in spec.alias_keys.get((match.entry.value, match.category), ())

    def _parts(self, attributes: tuple[Attribute, ...]) -> tuple[Part, ...]:
        spans: list[tuple[int, int, Slot | None]] = []
        for match in self.matches:
            if match.article is not None:
                capital = self._capital(match.article[0])
                spans.append((*match.article, Slot(None, ARTICLE, capital)))
            if self._alias_before_noun(match):
                spans.append((match.start, self.matches[match.index + 1].start, None))
                continue
            capital = self._capital(match.start, match)
            form = self._form_key(match, attributes)
            spans.append((match.start, match.end, Slot(match.variable, match.category, capital, form)))

        parts: list[Part] = []
        cursor = 0
        for start, end, slot in spans:
            gap = self.text[cursor:start]
            if cursor > 0:
                stripped = gap.lstrip()
                gap = _one_space(gap[: len(gap) - len(stripped)]) + stripped
            stripped = gap.rstrip()
            gap = stripped + _one_space(gap[len(stripped) :])
            if gap:
                parts.append(gap)
            if slot is not None:
                parts.append(slot)
            cursor = end
        tail = self.text[cursor:]
        if tail:
            stripped = tail.lstrip()
            parts.append(_one_space(tail[: len(tail) - len(stripped)]) + stripped)
        return tuple(parts)
