"""Named people: persons a reader knows by their full name ("Julius Caesar", "Joan of Arc"), names
and titles typed in lower case as tags and chat are ("mrs patel", "sister agnes"), informal kin
words after a possessive ("my nan's kitchen"), and things named with person words ("a Shirley
Temple mocktail", "a Belgian waffle maker"). Each had been read wrongly; the words around them that
say something else stay read as they were."""

from __future__ import annotations

import re

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set
from obclip.privacy.correlate import anonymity, apply_policy, revealed
from obclip.privacy.taxonomy import default_taxonomy, surface_key
from obclip.privacy.words import known_persons


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        ("Julius Caesar in the senate, his toga red", "Julius Caesar"),
        ("1boy, julius caesar, laurel wreath, toga, marble columns", "julius caesar"),
        ("Marilyn Monroe smiling, her white dress blowing over a subway grate", "Marilyn Monroe"),
        ("Joan of Arc in armor, banner raised, oil painting", "Joan of Arc"),
    ],
)
def test_a_known_persons_name_is_sent_whole_and_its_gender_told(prompt: str, name: str) -> None:
    """The first name had been varied under a surname every reader knows ("Janice Caesar in the
    senate", "Lamar of Arc in armor"): a decoy that fools no one, shown as "hidden among 2". The name
    now goes out as written in every candidate, the gender it tells is not varied, and the set says
    so."""
    built = build_candidate_set(prompt, seed=0)
    assert all(name in c for c in built.candidates), built.candidates
    told = [r for r in revealed(built) if r.word == name]
    assert told and told[0].attribute == "gender" and told[0].strength == "strong"
    sent = apply_policy(built, seed=0)
    assert len(sent) == 1 and anonymity(sent) == 1
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "age", "name"),
    [
        ("young Abraham Lincoln splitting rails in a forest", "young", "Abraham Lincoln"),
        ("a 30 year old Marilyn Monroe waiting at a bus stop", "30 year old", "Marilyn Monroe"),
    ],
)
def test_an_age_before_a_known_persons_name_is_still_varied(prompt: str, age: str, name: str) -> None:
    """The name is sent as written, yet the age before it is its person's and varies: with the name
    no slot, "young" had been read as no one's and gone out in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(name in c for c in cset.candidates)
    assert len(cset) > 1 and not all(age in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("portrait of Maria Lopez, 34, nurse, hospital corridor", "Maria"),
        ("Julius, 40, my neighbour, grilling in his backyard", "Julius"),
    ],
)
def test_a_name_no_reader_knows_still_varies(prompt: str, word: str) -> None:
    """Only a full name WordNet holds is a known person: "Maria Lopez" or a "Julius" alone is anyone."""
    assert_varied(prompt, word)


def test_every_known_name_opens_with_a_first_name_of_its_value() -> None:
    """The data: each full name's value is the gender of the first name it opens with (Joan of Arc:
    Joan), so that a decoy's first name there is read as the user's."""
    taxonomy = default_taxonomy()
    names = known_persons()
    assert len(names) > 1000
    for name, value in names.items():
        entry = taxonomy.lexicon.get(surface_key(name.split()[0]))
        assert entry is not None and "first_name" in entry.categories and entry.value == value, name


@pytest.mark.parametrize("prompt", ["an Emma Watson lookalike smiling", "Emma Watson portrait, studio light"])
def test_a_name_whose_decoy_would_be_a_known_person_is_read_as_one(prompt: str) -> None:
    """ "James Watson" is a known person: read alone, the decoy "a James Watson lookalike" read back
    otherwise than "an Emma Watson lookalike", and the prompt was refused. Any name the slot may
    render decides, so both read as a known person (Emma Watson is one)."""
    sent = apply_policy(build_candidate_set(prompt, seed=0), seed=0)
    assert sent.candidates == (prompt,)
    assert [r.word for r in revealed(sent)] == ["Emma Watson"]
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a boy and his dog asleep in a hammock, summer afternoon, Norman Rockwell painting", "boy"),
        ("portrait of an heiress in a white satin gown, John Singer Sargent, loose brushwork", "heiress"),
    ],
)
def test_a_painter_named_as_a_style_reveals_nothing_of_the_person_shown(prompt: str, word: str) -> None:
    """Painters and writers are named in prompts as a style: read as known persons, "Norman Rockwell"
    fixed the boy's gender as a man's name's cue would."""
    sent = apply_policy(build_candidate_set(prompt, seed=0), seed=0)
    assert len(sent) > 1 and not all(re.search(rf"\b{word}\b", c) for c in sent.candidates), sent.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "mrs patel making samosas in her kitchen, warm afternoon light",
        "mr. tanaka, 50, asleep at his desk after the last train",
    ],
)
def test_a_courtesy_title_in_lower_case_is_a_person(prompt: str) -> None:
    """ "mrs" and "mr." had been left unread in lower case, so the pronoun varied alone ("mrs patel
    ... his kitchen" was among the candidates) and the title went out in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        title = re.match(r"(?i)(mrs?|ms)\b", candidate)
        assert title is not None, candidate
        assert ("her" if title.group(1).lower() != "mr" else "his") in candidate.split(), candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["500 ms latency chart, dark dashboard", "ms paint drawing of a cat, crude lines"])
def test_ms_in_lower_case_that_heads_no_surname_names_no_one(prompt: str) -> None:
    """ "ms" after a number is milliseconds; "ms paint" is a program: only "mr", "mrs" or a title
    with its period is read in lower case."""
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("1girl, catholic, nun, habit, rosary, praying, sister agnes", "agnes"),
        ("1girl, 1boy, grandmother, grandson, nonna rosa, baking cookies, kitchen", "rosa"),
        ("grandpa joe asleep in his armchair, christmas morning", "joe"),
    ],
)
def test_a_first_name_typed_in_lower_case_after_a_title_is_its_persons(prompt: str, word: str) -> None:
    """Tags and chat are typed in lower case: a name right after a title typed so had gone out in
    clear in every candidate, beside "1boy" and "grandma" decoys."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("sister act musical poster, stage lights", "act"),
        ("1girl, solo, oni horns, kanabo, tiger print, sakura, (ink wash:1.1)", "sakura"),
        ("1girl, (freckles:1.2), siobhan, irish, red hair", "siobhan"),
    ],
)
def test_a_lower_case_word_after_no_title_or_no_name_stays(prompt: str, word: str) -> None:
    """ "act" is no name; a name as a tag of its own is not read: tags hold many words that are
    names too ("sakura" is cherry blossom, "lamia", "catrina", "kata"), so it stays as written."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(re.search(rf"\b{word}\b", c) for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "my nan's kitchen in 1994, floral wallpaper, her tea towels on the oven door",
        "me and my nan baking scones, flour everywhere",
        "his ma knitting by the fire, cosy",
    ],
)
def test_an_informal_kin_word_after_a_possessive_is_a_person(prompt: str) -> None:
    """ "nan" and "ma" had been read as no one: "her" varied alone ("my nan's kitchen, his tea
    towels") and "nan" went out in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not all(re.search(r"\b(nan|ma)\b", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "garlic nan bread with butter chicken, top down food photo",
        "Nan Goldin style photo of a messy apartment",
        "a PA system on an empty stage",
        "an Uyghur baker pulling nan from a tandoor, Kashgar",
    ],
)
def test_the_same_words_that_name_no_kin_stay(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert all(re.search(r"(?i)\b(nan|pa)\b", c) for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "belgian waffle maker on the counter with batter dripping down the side",
        "an Italian espresso maker on a gas stove, morning light",
        "a Shirley Temple mocktail with three maraschino cherries on a party table",
        "michelin man inflatable mascot deflated on a garage floor, sad, cinematic",
        "platform 9 3/4 at Kings Cross, luggage trolley half into the brick wall, station empty",
        "the Queen Mary docked at Long Beach at dusk, portholes glowing, reflections on the water",
    ],
)
def test_things_named_with_person_words_show_no_one(prompt: str) -> None:
    """Each had been varied: "Belgian" read as a maker's (a maker is a person too), the others as
    persons."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.candidates
    assert not revealed(cset)


def test_a_people_word_before_a_maker_who_is_a_person_still_varies() -> None:
    assert_varied("a Belgian chocolate maker in his shop, apron, shelves of pralines", "Belgian")
