"""Milestones and celebrations: an age after "at" before an adverb of time ("a woman at 40
finally graduating"), school words said of an adult's past ("his old high school", "a
kindergarten teacher"), and a milestone after a possessive ("her sweet sixteen"). Each had sent
an age in clear; the measures and counts around them stay as written."""

from __future__ import annotations

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set
from obclip.privacy.correlate import revealed
from obclip.view import cloud_view


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a woman at 40 finally graduating nursing school, her kids cheering", "40"),
        ("my grandpa at 94 still tinkering with his old tractor in the barn", "94"),
        ("me at 5 vs me at 30 side by side, same pose on the same front steps", "30"),
        ("a man at 60 today, blowing out the candles", "60"),
    ],
)
def test_an_age_after_at_before_an_adverb_of_time_is_varied(prompt: str, age: str) -> None:
    """The age had been read only before punctuation, a preposition or a participle."""
    assert_varied(prompt, age)


@pytest.mark.parametrize(
    "prompt",
    [
        "a painter of 40 still lifes",
        "a gallery of 40 still lives in gilt frames",
    ],
)
def test_a_count_before_still_lifes_is_no_age(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert all("40" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a 50-year-old man walking the halls of his old high school at the 30-year reunion", "50"),
        ("a kindergarten teacher, a young man in a cardigan, reading to the class", "young"),
        ("two high school sweethearts, now in their 70s, dancing in the kitchen", "70s"),
    ],
)
def test_school_words_of_an_adult_reveal_no_child_age(prompt: str, age: str) -> None:
    """'high school' is a strong cue of a teen; of an adult's past it is none, and the adult's age
    had been fixed to the user's for it; a job's ("a kindergarten teacher") is dropped for the
    cloud, the age varied either way."""
    view = cloud_view(prompt, seed=0)
    assert len(view) > 1
    assert not all(age in c for c in view.candidates), view.candidates


def test_a_milestone_after_a_possessive_is_sent_as_a_birthday() -> None:
    """Dropped, it would leave "her" alone, so the child's age had been fixed to the user's."""
    prompt = "teenage girl in her bedroom decorated for her sweet sixteen, fairy lights, polaroids"
    view = cloud_view(prompt, seed=0)
    assert all("sixteen" not in c and "birthday" in c for c in view.candidates)
    assert not all("teenage" in c for c in view.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "ordinal"),
    [
        ("(my aunt Linda:1.2) at her 60th, sequin top, dancing with a glass of prosecco", "60th"),
        ("a disney style version of my great aunt Rosa for her 95th, she's tiny, big glasses", "95th"),
        ("my dad at his 50th!!", "50th"),
    ],
)
def test_an_ordinal_after_his_or_her_before_a_mark_is_a_birthday(prompt: str, ordinal: str) -> None:
    """A person word's possessive before it was read ("my wife's 40th,"), "her" was not."""
    assert_varied(prompt, ordinal)


@pytest.mark.parametrize(
    "prompt",
    ["a footballer celebrating his 50th goal", "the couple at their 50th, dancing", "a man and his 3rd wife"],
)
def test_an_ordinal_before_a_noun_or_after_their_stays(prompt: str) -> None:
    ordinal = next(w for w in prompt.replace(",", " ").split() if w[:1].isdigit())
    assert all(ordinal in c for c in build_candidate_set(prompt, seed=0).candidates)


@pytest.mark.parametrize("word", ["granddaddy", "grandaddy", "grandpop", "grandmama", "mawmaw"])
def test_more_grandparents_are_varied(word: str) -> None:
    assert_varied(f"thanksgiving dinner, {word} carving the turkey, candles, 35mm film", word)


@pytest.mark.parametrize(
    ("prompt", "told"),
    [
        ("thanksgiving dinner, grandpa carving the turkey, warm light", False),
        ("a man in jodhpurs riding a horse at dawn", False),
        ("a woman sealing a manila envelope at her desk", False),
        ("a woman on holiday in Turkey, hot air balloons at dawn", True),
        ("a man walking through Manila at night, neon", True),
    ],
)
def test_a_place_that_is_also_an_animal_or_a_thing_is_a_cue_only_capitalised(prompt: str, told: bool) -> None:
    """WordNet's animals and things among the place cues ("turkey", "manila", "jodhpurs"): the
    roast turkey had been told as a weak cue of an Asian person."""
    words = {r.word.lower() for r in revealed(build_candidate_set(prompt, seed=0))}
    assert bool(words & {"turkey", "manila", "jodhpurs"}) is told, words


@pytest.mark.parametrize(
    ("prompt", "noun"),
    [
        ("toddler, 2 years old, playing, blocks, living room carpet, overalls, candid", "toddler"),
        ("teenager, 15 years old, skateboard, skatepark, fisheye", "teenager"),
    ],
)
def test_a_child_noun_tag_naming_the_only_child_is_sent_as_child(prompt: str, noun: str) -> None:
    """Dropped like the tag of "1girl, child, 5 years old", the age tag would name nobody and the
    set would not read back, so the noun had gone out beside every decoy age ("toddler, 14 years
    old")."""
    view = cloud_view(prompt, seed=0)
    assert len(view) > 1
    assert all(noun not in c and c.startswith("child, ") for c in view.candidates), view.candidates
    assert all("child" not in c for c in cloud_view("1girl, child, 5 years old, playing", seed=0).candidates)


def test_a_foster_child_keeps_its_gender_word() -> None:
    """WordNet's "foster-daughter" had been read as a kid of no gender ("my kid at the beach"): the
    kin word is varied as "daughter" / "son" now."""
    prompt = "my foster-daughter at the beach, building a sandcastle"
    assert_varied(prompt, "daughter")
    starts = {c.split(" at the beach")[0] for c in build_candidate_set(prompt, seed=0).candidates}
    assert starts == {"my daughter", "my son"}, starts


@pytest.mark.parametrize(
    "prompt",
    [
        "my daughter's quinceañera, she's wearing a lilac ball gown, her dad dancing the waltz with her",
        "her quinceañera was magical, ballroom, chandeliers",
        "Sofia's quinceanera, pink tiara, ballroom",
    ],
)
def test_a_quinceanera_after_a_possessive_is_the_party(prompt: str) -> None:
    """Read as a girl, "my daughter's quinceañera" had been sent as "my daughter's girl", each
    pronoun after it a person of its own (38 candidates, "my son's boy ... with her")."""
    cset = build_candidate_set(prompt, seed=0)
    assert all("quincea" in c for c in cset.candidates), cset.candidates
    assert len(cset) <= 6
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "n"),
    [
        ("a 1st birthday smash cake with a big ONE topper, pastel sprinkles", 1),
        ("a room decorated for an 18th birthday party, rose gold balloons, empty dance floor", 1),
        ("no humans, cake, happy 100th birthday, gold numbers", 1),
        ("a 30th birthday party, friends dancing, confetti", 3),
        ("my 40th birthday party at a bar, neon", 3),
    ],
)
def test_a_birthday_of_no_one_in_the_prompt_is_a_theme(prompt: str, n: int) -> None:
    """A cake or a room for a birthday shows no one: its ordinal had been varied ("a 30th birthday
    smash cake") in a prompt without a person. With a person in it, or after "my", it is someone's."""
    assert len(build_candidate_set(prompt, seed=0)) == n


@pytest.mark.parametrize(
    "prompt",
    [
        "a bar mitzvah party table, Star of David centerpieces, kippahs in a basket with the name Eli embroidered",
        "a mug with the name Rosa printed on it, white background",
        "a necklace with the name Sarah in gold letters, velvet box",
    ],
)
def test_a_name_written_on_a_thing_is_its_text(prompt: str) -> None:
    """ "the name Eli embroidered" shows no one: beside another name ("Star of David") it had
    been varied as a person's (N = 2 in a prompt of no one)."""
    assert len(build_candidate_set(prompt, seed=0)) == 1


def test_a_name_written_beside_a_person_leaves_the_person_varied() -> None:
    assert_varied("a girl holding a sign with the name Emma written on it", "girl")


@pytest.mark.parametrize(
    ("prompt", "first"),
    [
        ("baby, 1 year old, first birthday, cake smash, high chair", "child, "),
        ("1girl, baby, 1 year old, cake smash", "1"),
    ],
)
def test_a_child_noun_tag_before_a_year_old_tag_is_one_child(prompt: str, first: str) -> None:
    """ "1 year old" as a tag of its own is the baby's age, as "2 years old" is: read as a second
    child, it had been varied apart from "baby" ("teenager, 1 year old")."""
    view = cloud_view(prompt, seed=0)
    assert len(view) in (4, 8)
    assert all("baby" not in c and c.startswith(first) for c in view.candidates), view.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "old woman, birthday cake, 90, candles, party, realistic",
        "an old Asian woman, birthday cake, 90, candles",
        "elderly man, hospital bed, 85, oxygen mask",
        "an old man reading, 80, glasses",
    ],
)
def test_a_bare_number_tag_joins_the_age_word_of_the_one_person(prompt: str) -> None:
    """Beside "old" the number had gone out in clear; it is the same person's age, one variable
    with the adjective, so no candidate says "young woman, ..., 90"."""
    cset = build_candidate_set(prompt, seed=0)
    number = next(w for w in prompt.replace(",", " ").split() if w.isdigit())
    assert not all(number in c for c in cset.candidates)
    assert len(cset) in (6, 36)  # one age variable, not two
    assert_closed(prompt, seed=0)


def test_a_number_beside_a_written_age_stays_as_written() -> None:
    cset = build_candidate_set("a 30 year old woman, cafe, 2, latte", seed=0)
    assert all(", 2, latte" in c for c in cset.candidates)
