"""Requests to edit or remake a picture, as typed into chat image tools: the user speaks of
themselves ("make me look 25", "i'm 25 years old"), says ages after the fact ("he is 34 now", "she
was about 30 here"), and names the person whose clothes change ("change the girl's dress to red").
Each of these had gone out in clear in every candidate; the words around them that say no such
thing stay as written."""

from __future__ import annotations

import re

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set
from obclip.view import cloud_view


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("i'm 25 years old, make me a 1950s pin-up", "25"),
        ("me, (age 45:1.1), beach, same swimsuit", "45"),
        ("a pic of me at 25 years old, film grain", "25"),
        ("a pic of me, 25, as a pin-up", "25"),
        ("make me look like 25, same smile", "25"),
        ("i'm 16, make me a superhero", "16"),
    ],
)
def test_an_age_said_of_the_user_is_varied(prompt: str, age: str) -> None:
    """The user is in the picture when they give their own age: it had gone out with N = 1."""
    assert_varied(prompt, age)


@pytest.mark.parametrize(
    "prompt",
    [
        "show me a house that is 100 years old",
        "give me 5, high five",
        "draw me, 3 cats on a sofa",
        "make me look 20 years older",
    ],
)
def test_numbers_near_me_that_are_no_age_of_mine_stay(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("show what my husband looked like as a baby, he is 34 now", "34"),
        ("restore this torn photo of my great aunt Rosa, she was about 30 here, sepia", "30"),
        ("make my dad look like he is 30 again for his birthday card", "30"),
        ("colourise this photo of my grandad, he was 19 at the time", "19"),
        ("make my grandmother look 20 again, she would love it", "20"),
        ("turn the family into cartoons, dad is bald, and the two kids are 8 and 11", "11"),
    ],
)
def test_an_age_said_after_a_person_with_a_word_of_time_is_varied(prompt: str, age: str) -> None:
    assert_varied(prompt, age)


def test_the_price_now_and_one_at_heart_are_no_ages() -> None:
    assert len(build_candidate_set("the price is 80 now", seed=0)) == 1
    cset = build_candidate_set("he is one at heart", seed=0)
    assert all("is one at heart" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("change the girl's dress to red", "girl"),
        ("make the old man's hat blue", "man"),
        ("change the boy's red shirt to green", "boy"),
        ("change my dads shirt from white to navy in his passport photo", "dads"),
    ],
)
def test_the_person_whose_clothes_change_is_shown_and_varied(prompt: str, word: str) -> None:
    """ "the girl's dress" had been read as a kind of dress, with nobody in the picture; "my dads
    shirt ... his passport photo" as a kind of shirt, "his" varied alone."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    "prompt",
    [
        "a woman's dress on a hanger",
        "the girl's dress shop on main street",
        "the bride's dress on a mannequin, no people",
        "my dads garage with tools on the wall",
        "my moms kitchen at christmas",
    ],
)
def test_clothes_and_rooms_of_a_kind_or_of_someone_absent_show_no_one(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize("prompt", ["girls paint the fence", "boys wash a car", "their kids paint the fence"])
def test_a_plural_before_a_verb_and_its_object_is_its_subject(prompt: str) -> None:
    """ "girls paint the fence" had been read as the girls' paint, with N = 1."""
    assert len(build_candidate_set(prompt, seed=0)) > 1
    assert_closed(prompt, seed=0)


def test_an_adult_age_in_weights_after_a_child_noun_makes_it_the_adult_noun() -> None:
    """ "(asian girl:1.2), (age 21:1.1)" had sent "age 21" in every candidate, as ", 22 years old"
    after "korean girl" had."""
    view = cloud_view("my selfie, (asian girl:1.2), (age 21:1.1), ((kawaii)), pastel hair", seed=0)
    assert not all("age 21" in c for c in view.candidates), view.candidates


def test_a_weak_cue_of_an_attribute_not_varied_suggests_and_does_not_reveal() -> None:
    """The app says "reveals" of strong cues only; the notice had said "'chai' reveals ethnicity"."""
    notice = cloud_view("a man drinking chai on a porch", seed=0).notice or ""
    assert "'chai' suggests" in notice and "'chai' reveals" not in notice
    assert "'pregnant' reveals gender" in (cloud_view("a pregnant person on a beach", seed=0).notice or "")


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("little brother and big sister bottle-feeding orphan lambs", "sister"),
        ("a newborn held by her big brother for the first time", "brother"),
    ],
)
def test_kin_ending_an_idiom_and_doing_something_is_a_person(prompt: str, word: str) -> None:
    """ "big sister" had been read as the idiom "big brother" (every form of a kind matches an
    idiom), so the sister went out in clear."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("mom and dad loading groceries into the trunk while their daughter holds the leash", "daughter"),
        ("a cracked solar panel as she tries to steady herself", "she"),
        ("photo of Elon Musk as a medieval king, oil painting", "king"),
    ],
)
def test_a_thing_before_as_or_into_remakes_no_one(prompt: str, word: str) -> None:
    """Only an animal is remade as a person ("my cat as an old man"), and only before "a" or "an":
    a first version of the rule had sent these words in clear in every candidate."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("i'm asian, make me a pin-up", "asian"),
        ("i am black, make me a superhero", "black"),
        ("put me in a saree, i'm white so keep my skin tone natural", "white"),
    ],
)
def test_a_word_said_of_the_user_after_i_am_is_varied(prompt: str, word: str) -> None:
    """ "i'm asian" had gone out in clear with N = 1: the user had been no person."""
    assert_varied(prompt, word)


def test_a_colour_after_i_am_that_colours_a_thing_stays() -> None:
    assert len(build_candidate_set("i'm white water rafting", seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("turn my coworker into a lego minifigure, she has red glasses and a bun", "she"),
        ("replace the face of the groom with my brother's face, the bride stays the same", "bride"),
    ],
)
def test_a_person_remade_or_kept_the_same_is_varied(prompt: str, word: str) -> None:
    """ "she" had been the minifigure's (a likeness opening the prompt, no person named before it:
    "coworker" was no person noun), and "the bride stays" a bride's stays, a corset."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("age progression: my son is 6 in this pic, show him at 18", "18"),
        ("show her at 30, same dress, same garden", "30"),
    ],
)
def test_an_age_after_at_and_a_pronoun_is_varied(prompt: str, age: str) -> None:
    """ "show him at 18" had sent the age he is to be drawn at in clear in every candidate."""
    assert_varied(prompt, age)


@pytest.mark.parametrize(
    "prompt",
    ["draw him at 5 pm on a beach", "show him at 18:00 in the office", "photo of her at 100% zoom"],
)
def test_a_time_or_a_measure_after_at_is_no_age(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    number = re.search(r"\d+", prompt).group()
    assert all(number in c for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    ("prompt", "span"),
    [
        ("make my sister look like she is 10 years older for a movie poster", "10 years older"),
        ("make him look 10 years younger, same smile, same shirt", "10 years younger"),
    ],
)
def test_years_older_or_younger_is_a_span_and_the_prompt_is_served(prompt: str, span: str) -> None:
    """ "10 years older" says how much, not how old: read as the age "older", its decoy "10 years
    old" read back as another age, and the prompt had been refused."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all(span in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_older_without_a_number_of_years_is_still_an_age() -> None:
    assert_varied("my older brother and me at the beach, 1990s photo", "older")
