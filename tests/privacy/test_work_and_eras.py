"""People at work and the past: job words ("two male flight attendants"), things and brands named
with person words ("a hangman game", "a Gran Torino", "a Game Boy", "a bottle of Gentleman Jack"),
an era's word before a person ("a Victorian lady's writing desk", "80s girl with big hair"). Each
had been read wrongly; the words around them that do say a person stay read as they were."""

from __future__ import annotations

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set
from obclip.view import cloud_view


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("two male flight attendants pushing the drinks cart down the aisle", "male"),
        ("a female realtor showing a house to a young couple", "female"),
    ],
)
def test_a_gender_before_a_job_word_is_varied(prompt: str, word: str) -> None:
    """ "attendants" was no person noun, so "male" was read as a flight's and went out in clear."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    "prompt",
    [
        "hangman game drawn on a chalkboard, half finished",
        "1970s cop car chase, a ford gran torino skidding, tv show still",
        "a 90s tamagotchi and a game boy on a bedspread with dinosaur print",
        "a bottle of Gentleman Jack on an old oak bar, 1940s magazine ad style",
        "Victorian bachelor's chest, mahogany, brass handles, antique shop listing photo",
        "commercial kitchen after close, stainless counters wiped down, ladles hanging, quiet",
        "a Victorian lady's writing desk with an inkwell and dried roses, still life",
        "an Edwardian gentleman's shaving kit on a marble washstand",
        "no humans, still life, table, earl grey tea, teacup, lady grey, scones",
        "no humans, flower, naked lady lily, amaryllis belladonna, pink, garden",
    ],
)
def test_things_named_with_person_words_show_no_one(prompt: str) -> None:
    """Each had been sent with N = 2 or 3: "ladles" read as a typo of "ladies", "Victorian" as a
    person of its own (WordNet's), the rest as persons."""
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("the hangman at the gallows, grim, woodcut", "hangman"),
        ("a boy playing game boy on the couch, 1990s living room", "a boy"),
        ("a Victorian lady reading by the fire, oil painting", "lady"),
        ("two boyes playing football in the street", "boyes"),
        ("fashion lookbook featuring models aged 80 and up, silver hair", "80"),
        ("Rabbi Shmuel Katz, 70s, Hasidic, studying Talmud at a cluttered table", "70s"),
    ],
)
def test_the_same_words_naming_persons_stay_persons(prompt: str, word: str) -> None:
    """ "boyes" is a typo of "boys": a plural whose stem is a taxonomy word is no English word's. A
    person noun before an age or a name ("models aged 80", "Rabbi Shmuel") shows its person as
    before: only before a person noun does it merely modify."""
    assert_varied(prompt, word)


def test_a_decade_before_a_child_noun_is_an_era_not_an_adult_age() -> None:
    """ "80s girl" had been sent as "80s woman", as if "80s" were her age ("in her 80s"); detection
    reads it as an era, and so does the policy now. A decade said as an age still makes her a woman."""
    view = cloud_view("80s girl with big hair and neon leg warmers, VHS look", seed=0)
    assert all("80s girl" in c or "80s boy" in c for c in view.candidates), view.candidates
    view = cloud_view("a mid-30s girl reading in a cafe", seed=0)
    assert not any(" girl " in c for c in view.candidates), view.candidates


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("70s disco, a black man with an afro dancing, mirror ball", "man dancing, mirror ball"),
        ("an interracial dancing couple at a 70s disco", "a dancing couple"),
    ],
)
def test_a_dropped_cue_before_a_participle_takes_its_phrase_with_it(prompt: str, sent: str) -> None:
    """ "with an afro dancing" had been sent as "with a dancing": the participle ends the phrase,
    so the cue is its head and goes with "with an"; before a noun it is a modifier, dropped alone."""
    view = cloud_view(prompt, seed=0)
    assert all(sent in c for c in view.candidates), view.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "1girl, solo, cowboy shot, hands on hips, denim jacket, sunset",
        "1boy, police uniform, (cowboy shot:1.2), night, city",
        "cowboy_shot, 1girl, maid, apron, cafe",
    ],
)
def test_the_framing_tag_cowboy_shot_names_no_one(prompt: str) -> None:
    """Danbooru's "cowboy shot" (from the thighs up) had been a cowboy of its own: "1girl, cowboy
    shot" was sent with "1boy, cowgirl shot" as its decoy, and told as a gender word in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all("cowboy shot" in c for c in cset.candidates), cset.candidates
    assert not any("cowboy" in r.word for r in cset.residual), cset.residual
    assert_closed(prompt, seed=0)


def test_a_cowboy_outside_the_tag_is_a_person() -> None:
    assert_varied("a cowboy shot dead in a saloon, sepia", "cowboy")


def test_any_form_of_the_framing_tag_reads_alike() -> None:
    """The tag's other words decide, whatever form of the kind is written, so every candidate of
    "cowgirl shot" reads back as the user's does."""
    prompt = "1girl, cowgirl shot, armor"
    assert all("cowgirl shot" in c for c in build_candidate_set(prompt, seed=0).candidates)
    assert_closed(prompt, seed=0)
