"""First names: words of a people that are first names too, names given to both sexes, the order
in which names pair, and names that are English words too. Each had been read wrongly: "our kids'
names, Maya and Noah" was sent as "Indian and Noah"; "Taylor and her dog" was refused as a man with
a woman's pronoun; "Leon" was sent as "James", having no partner while rarer names had one; and
"Aunt Trees", a decoy of "Uncle Bob", read back as no name."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set
from obclip.privacy.detect import detect
from obclip.privacy.keep import _pair_rows
from obclip.privacy.taxonomy import default_taxonomy, surface_key


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        ("tattoo for my wife, our kids names in her handwriting, Maya and Noah", "Maya"),
        ("portrait of Maya smiling at the beach", "Maya"),
        ("Maya Chen, 30, at her desk, soft light", "Maya"),
        ("Noah and Maya on a picnic blanket", "Maya"),
        ("Roman, 40, a barber with tattoos", "Roman"),
    ],
)
def test_a_word_of_a_people_that_stands_as_a_name_is_sent_as_written(prompt: str, name: str) -> None:
    """ "Maya" is a people and a first name; where it stands as a name it had been varied as a people
    ("portrait of Indian smiling"), changing the user's own prompt."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert all(name in candidate for candidate in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a Maya woman weaving on a backstrap loom", "Maya"),
        ("two Maya girls at a market", "Maya"),
        ("a Roman soldier resting on his shield", "Roman"),
        ("Roman and Greek statues in a museum, a guard and his dog asleep", "his"),
    ],
)
def test_a_word_of_a_people_before_a_person_stays_a_people(prompt: str, word: str) -> None:
    """The rule reads a name's place only: a people's word before a person or a thing, or after an
    article or a count, is varied as before."""
    assert_varied(prompt, word)
    if word == "his":
        assert all(c.startswith("Roman and Greek statues") for c in build_candidate_set(prompt, seed=0).candidates)


@pytest.mark.parametrize(
    "prompt",
    ["Taylor and her dog on the beach", "Jordan shooting hoops, she is 16", "Taylor Swift, her hair in a bun"],
)
def test_a_name_given_to_both_sexes_tells_no_gender(prompt: str) -> None:
    """Names given to both sexes (the US counts give "Taylor" to girls three times in four, gender-
    guesser's dictionary to boys) had been listed as men's, so a woman's pronoun was refused."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("name", ["Leon", "Tiago", "Armin", "Laurens"])
def test_a_common_name_keeps_its_own_form(name: str) -> None:
    """Names pair most given first within their country, so those left without a partner (and sent
    as "James") are the rarest of their list, not whichever came last alphabetically."""
    prompt = f"a portrait of {name} at the beach, golden hour"
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt


def test_every_paired_word_name_is_read_as_a_name_after_a_title() -> None:
    """A name that is an English word too is read only after a kin word or title ("Grandma Rose");
    one read as a plural there ("Aunt Trees") would break the pair whose decoy it is."""
    taxonomy = default_taxonomy()
    data = json.loads(resources.files("obclip.privacy").joinpath("data/first_names.json").read_text("utf-8"))
    words = {surface_key(n) for names in data["word_names"].values() for n in names}
    titles = {"female": "Aunt", "male": "Uncle"}
    unread = [
        name
        for row in _pair_rows(taxonomy, taxonomy.attribute("gender"))
        for value, name in row.items()
        if surface_key(name) in words
        and "first_name" not in detect(f"{titles[value]} {name} grilling burgers", taxonomy).text
    ]
    assert unread == []


@pytest.mark.parametrize(
    ("prompt", "age"),
    [("Julius Caesar, 55, in the senate, marble columns", "55"), ("Maya, 25, smiling at the camera", "25")],
)
def test_a_person_named_as_written_still_has_an_age_that_varies(prompt: str, age: str) -> None:
    """A known person's full name and a people's word standing as a name are sent as written; the
    prompt is still about a person, so a bare age said of them varies (it had gone out in clear)."""
    assert_varied(prompt, age)
