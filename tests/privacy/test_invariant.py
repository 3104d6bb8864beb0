"""Theorem 1's premise: expanding any member of P yields exactly P (same template, attributes,
candidates and, for a fixed seed, order), with and without a budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from obclip.errors import InvalidInputError
from obclip.privacy import build_candidate_set, candidate_count, default_taxonomy, detect, load_taxonomy
from obclip.privacy.taxonomy import fold


def count(prompt: str, taxonomy=None) -> int:
    """N of `prompt`, or a number past every bound when it cannot be rewritten consistently."""
    try:
        return candidate_count(detect(prompt, taxonomy))
    except InvalidInputError:
        return 10**9


EXAMPLE = load_taxonomy(Path(__file__).parent / "data" / "example_taxonomy.json")
EXAMPLE_WORDS = sorted(
    surface
    for spec in EXAMPLE.attributes
    for value in spec.values
    for surfaces in spec.forms[value].values()
    for surface in surfaces
)

ATTRIBUTE_WORDS = sorted(
    surface
    for spec in default_taxonomy().attributes
    for value in spec.values
    for category, surfaces in spec.forms[value].items()
    if not category.endswith("pronoun") and category != "possessive_determiner"
    for surface in surfaces
)
ADJECTIVES = sorted(
    surface
    for spec in default_taxonomy().attributes
    for value in spec.values
    for surface in spec.forms[value].get("adjective", ())
)
NOUNS = sorted(
    surface
    for spec in default_taxonomy().attributes
    for value in spec.values
    for category, surfaces in spec.forms[value].items()
    if category.startswith("noun")
    for surface in surfaces
)
PRONOUNS = ["she", "her", "hers", "herself", "he", "him", "his", "himself"]
ARTICLES = ["a", "an", "A", "An", "AN"]
FILLER = [
    "portrait",
    "of",
    "holding",
    "hat",
    "the",
    "and",
    "with",
    "is",
    "smiling",
    "in",
    "park",
    "doctor",
    "person",
    "red",
    "car",
    "old-fashioned",
    "man-made",
    "human",
    "womanhood",
    "go",
    "hand",
    "cup",
    "Paris",
    "food",
    "white",
    "black",
    "cat",
    "next",
    "to",
    "photo",
    "4k",
    "{x}",
]
PUNCTUATION = [",", ".", "!", "?", "'s", "(", ")", ":", "-", "’s"]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", ""]


@st.composite
def mangled(draw: st.DrawFn, word: str) -> str:
    style = draw(st.sampled_from(["keep", "lower", "upper", "title", "random"]))
    if style == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
        return "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True))
    return {"keep": word, "lower": word.lower(), "upper": word.upper(), "title": word.title()}[style]


@st.composite
def noun_phrases(draw: st.DrawFn) -> str:
    """An article, up to two attribute adjectives and a head noun: "an Old asian WOMAN"."""
    words = [draw(st.sampled_from(["a", "an", "A", "the", ""]))]
    words += [draw(st.sampled_from(ADJECTIVES).flatmap(mangled)) for _ in range(draw(st.integers(0, 2)))]
    words.append(draw(st.sampled_from([*NOUNS, "doctor", "person", "car"]).flatmap(mangled)))
    return " ".join(w for w in words if w)


def pieces() -> st.SearchStrategy[str]:
    return st.one_of(
        noun_phrases(),
        st.sampled_from(ATTRIBUTE_WORDS).flatmap(mangled),
        st.sampled_from(PRONOUNS).flatmap(mangled),
        st.sampled_from(ARTICLES),
        st.sampled_from(FILLER),
        st.sampled_from(PUNCTUATION),
    )


@st.composite
def prompts(draw: st.DrawFn, max_pieces: int = 9) -> str:
    words = draw(st.lists(pieces(), min_size=1, max_size=max_pieces))
    text = words[0]
    for word in words[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + word
    assume(text.strip())
    return text


REALISTIC = [
    "portrait of a young African woman",
    "a man holding his hat",
    "hand her the cup",
    "young AFRICAN  Woman",
    "A young man and an old woman walking their dog in the park",
    "an elderly Asian gentleman reading a newspaper, soft light, 35mm",
    "a middle aged Indian mother with her daughter at the market",
    "close-up photo of a senior European man, he is smiling at himself in the mirror",
    "A woman in a white shirt standing in front of a black background",
    "a black cat on an old car",
    "She holds her baby while her husband cooks dinner",
    "the hat is hers, not his",
    "a group of young Caucasian women dancing",
    "an African king on his throne, oil painting",
    "a girl and a boy playing chess; he is winning",
    "let him go",
    "a man-made lake near a human settlement",
    "cinematic still of an old fisherman and his grandson, golden hour",
    "a youthful Indian bride, her hands covered in henna",
    "two men and a woman at a cafe. She laughs at their joke.",
    "an Asian grandmother teaching her granddaughter to cook",
    "a portrait of Her Majesty the queen",
    "a boy with his father's old guitar",
    "a woman, a man, and a child",
    "European landscape, no people",
]


def assert_closed(prompt: str, *, seed: int, max_candidates: int | None = None, taxonomy=None) -> None:
    cset = build_candidate_set(prompt, seed=seed, max_candidates=max_candidates, taxonomy=taxonomy)
    assert len(set(cset.candidates)) == len(cset)
    for index, member in enumerate(cset.candidates):
        again = build_candidate_set(member, seed=seed, max_candidates=max_candidates, taxonomy=taxonomy)
        assert again == cset, (prompt, member)
        assert again.candidates == cset.candidates
        assert again.template.text == cset.template.text
        assert again.true_index == index
        assert again.true_prompt == member


def assert_varied(prompt: str, word: str) -> None:
    """`word` (whole, in any case) is missing from some candidate of a closed set of N > 1: it varies."""
    cset = build_candidate_set(prompt, seed=0)
    said = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
    assert len(cset) > 1 and not all(said.search(c) for c in cset.candidates), (prompt, cset.candidates)
    assert_closed(prompt, seed=0)


def assert_some_closed(prompt: str, *, seed: int, largest: int = 64) -> None:
    """`assert_closed` on a set of at most `largest` members; on a larger one, closure on six
    members spread over it (every member of a set of 384 reads its whole set back: two minutes)."""
    cset = build_candidate_set(prompt, seed=seed)
    if len(cset) <= largest:
        assert_closed(prompt, seed=seed)
        return
    for member in cset.candidates[:: len(cset) // 6]:
        assert build_candidate_set(member, seed=seed) == cset, (prompt, member)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=prompts(), seed=st.integers(0, 2**32))
@example(prompt="Kendrick", seed=0)  # its partner name must be read alone too (not "Gracie", a place)
# "lady Aafke", the other candidate of "gentleman Aad": in lower case a noun and a name, not a title
@example(prompt="a Afghans a a she 0 year olda gentleman Aad", seed=0)
# a name in capitals after a thing renders "Aad": each member reads it as the user's prompt does
@example(prompt="a Afghans cat AAD", seed=0)
# a people in lower case renders capitalised: a proper name of a thing reads it so ("a afghans Aad cup")
@example(prompt="a afghans Aad cup", seed=0)
@example(prompt="the yacht LADY anne", seed=0)
@example(prompt="a Alica SHE", seed=0)  # a full name's thing reads no slot after the name
@example(prompt="the Gentleman Aad", seed=0)  # its decoy "the Lady Aafke" would read as a title
@example(prompt="2boys 2boys 3girls", seed=0)  # count tags side by side that no tag sums
@example(prompt="a Afghans a Aboriginal Afghans 0 YEAR OLD", seed=0)  # a number after a name that a slot renders
# the language check reads a typo joined into a pair as the pair its decoys render ("aan men and
# women" is Dutch, so "aan chaps and womena" is too), and a pair form as one group ("gals and men"
# had read as "ladies and ladies", English, against its decoys' "aan women")
@example(prompt="aan chaps and womena", seed=0)
@example(prompt="aan gals and men", seed=0)
def test_every_member_expands_to_the_same_set(prompt: str, seed: int) -> None:
    assume(count(prompt) <= 24)
    assert_closed(prompt, seed=seed)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=prompts(max_pieces=14), budget=st.integers(1, 12), seed=st.integers(0, 2**32))
# a function word inside a slot ("Lasses And Boys") had kept the run from a thing's name, while a
# decoy's one word ("Girls") made it one
@example(prompt="a Afghans cat Aboriginal Lasses And Boys", budget=3, seed=0)
@example(prompt="a Afghans cat Aboriginal Lasses and boys", budget=3, seed=0)
@example(prompt="a Afghans cat Aboriginal Afghan American Lasses And Boys", budget=1, seed=0)  # a slot is one word
# the words after a thing's name were read as written: "shE" (no lower-case word) kept "Aboriginal
# Afghans car" a person, while a member's "she" made it a car's name
@example(prompt="a Afghans a Afghans a Afghans a Afghans a Aboriginal Afghans car next shE", budget=1, seed=0)
def test_every_member_of_a_budget_group_expands_to_the_same_group(prompt: str, budget: int, seed: int) -> None:
    assume(count(prompt) < 10**9)
    cset = build_candidate_set(prompt, seed=seed, max_candidates=budget)
    assert 1 <= len(cset) <= budget
    assert_closed(prompt, seed=seed, max_candidates=budget)


@st.composite
def example_prompts(draw: st.DrawFn) -> str:
    """Prompts over the issue's example taxonomy, where "female" is an adjective and a noun."""
    vocabulary = st.one_of(
        st.sampled_from(EXAMPLE_WORDS).flatmap(mangled),
        st.sampled_from([*ARTICLES, *FILLER, *PUNCTUATION]),
    )
    words = draw(st.lists(vocabulary, min_size=1, max_size=8))
    text = " ".join(words)
    assume(text.strip())
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=example_prompts(), budget=st.sampled_from([None, 3, 8]), seed=st.integers(0, 99))
def test_closed_under_a_taxonomy_with_context_dependent_categories(prompt: str, budget, seed: int) -> None:
    assume(count(prompt, EXAMPLE) <= 24)
    assert_closed(prompt, seed=seed, max_candidates=budget, taxonomy=EXAMPLE)


@settings(max_examples=80, deadline=None)
@given(prompt=prompts())
@example(prompt="a gentleman A")  # "a lady A": a lone capital after "lady" is no name, so no title
# a line break next to a slot stays one: read as a space, "'s" + a name classified the plural
@example(prompt="a a a a a 0 year old a Afghans's\nAad")
# "Sille", the name "Teki" renders as, read alone as Finnish: the language check keys every name alike
@example(prompt="Teki a Afghans")
# a typo joined into a pair ("Dudes and ladiesa") is one slot of a thing's proper name, as its
# decoys' one word ("Women Afghans cat") is
@example(prompt="a Dudes and ladiesa Afghans cat")
@example(prompt="a DUDes and malesa Afghans a DUDes and males cat")
# "hers" renders "her" before a name: whether it owns the person after it is read off its slot's
# category, as every candidate writes it, never off the word the user wrote
@example(prompt="hers Aad")
def test_true_prompt_is_a_fixed_point_and_keeps_no_user_casing(prompt: str) -> None:
    assume(count(prompt) <= 64)
    cset = build_candidate_set(prompt, seed=0)
    assert build_candidate_set(cset.true_prompt, seed=0).true_prompt == cset.true_prompt
    # words that describe no person stay as written (docs/privacy.md, "Binding to a person")
    fixed = fold("".join(p if isinstance(p, str) else "\x00" for p in cset.template.parts))
    unbound = {m.group() for m in default_taxonomy().matcher.finditer(fixed)}
    unbound |= {word for form in unbound for word in form.split()}  # "DUDes" of a fixed "DUDes and males"
    for match in default_taxonomy().matcher.finditer(prompt.lower()):
        raw = prompt[match.start() : match.end()]
        if any(c.isupper() for c in raw[1:]) and raw.lower() not in unbound:
            word = re.compile(rf"(?<![\w-]){re.escape(raw)}(?![\w-])")
            assert not any(word.search(candidate) for candidate in cset.candidates), raw


def test_words_with_no_common_form_for_the_users_value_are_refused_by_detection() -> None:
    # a mixed pair form ("females and chaps") read into one variable with words that have no mixed form
    prompt = "a Afghansa Afghans Aad 20-ish 20-ish females and chaps"
    with pytest.raises(InvalidInputError, match="cannot be rewritten consistently"):
        detect(prompt)
    assert count(prompt) == 10**9


@pytest.mark.parametrize("prompt", REALISTIC)
def test_realistic_prompts_are_closed(prompt: str) -> None:
    assert_closed(prompt, seed=7, max_candidates=64)


@pytest.mark.parametrize("prompt", REALISTIC)
def test_order_does_not_depend_on_the_true_member(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=123, max_candidates=64)
    orders = {build_candidate_set(member, seed=123, max_candidates=64).candidates for member in cset.candidates}
    assert orders == {cset.candidates}
