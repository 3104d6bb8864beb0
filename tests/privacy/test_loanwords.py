"""Words of other languages in English prompts (round 35): kin and address words people borrow
("my bhabhi", "oppa", "Madame Curie") are read and varied, the user's own name after a title is
kept, brands named with such words name no one, and the typo guard's frequencies are current."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from tests.privacy.test_coverage import word_in
from tests.privacy.test_invariant import assert_closed

from obclip.privacy import build_candidate_set
from obclip.privacy.words import data_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a bhabhi in a red saree lighting diyas", "bhabhi"),
        ("a chacha selling chai on the street", "chacha"),
        ("bhaiya at a chai stall pouring chai from a height", "bhaiya"),
        ("my oppa and his friends at a noraebang", "oppa"),
        ("unnie braiding my hair before school", "unnie"),
        ("my thatha reading the newspaper on the veranda", "thatha"),
        ("meemaw on the porch snapping beans", "meemaw"),
        ("my tatay, he is a fisherman in Bohol", "tatay"),
        ("my suegra inspecting my cooking, arms crossed", "suegra"),
        ("my bisabuela in her garden in Jalisco", "bisabuela"),
        ("Tante Rosie in her Creole kitchen", "Tante"),
        ("a Chinese ayi mopping the stairwell", "ayi"),
    ],
)
def test_a_kin_word_of_another_language_varies(prompt: str, word: str) -> None:
    """Each had been sent as written in every candidate: a gender told in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert "gender" in {a.kind for a in cset.attributes}, cset.template.text
    assert not all(word_in(word, c) for c in cset.candidates), (prompt, cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "surname"),
    [
        ("Madame Curie in her lab", "Curie"),
        ("Madam Chen, 60, at her shop", "Chen"),
        ("Mme Tremblay, 70, knitting", "Tremblay"),
        ("Monsieur Dubois in his garden", "Dubois"),
        ("a 67-year-old Sra. Delgado practicing tai chi in the plaza", "Delgado"),
    ],
)
def test_a_title_of_another_language_heads_a_surname_kept_in_every_candidate(prompt: str, surname: str) -> None:
    """ "Madame Curie" had been read as an honour before a first name and sent as "Dame Emma": the
    user's own candidate lost her name. A surname tells no gender: every candidate keeps it."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert all(surname in c for c in cset.candidates), cset.candidates
    assert surname in cset.true_prompt
    assert_closed(prompt, seed=0)


def test_a_kin_word_before_a_title_stays() -> None:
    """An alias before a noun of its own person is left out ("quinceañera girl" is one girl), but
    not before a title: "my comadre Doña Lupe" had lost "comadre" in every candidate."""
    cset = build_candidate_set("my mom's comadre Doña Lupe standing in her doorway", seed=0)
    assert all(re.search(r"\b(godmother|godfather) (Señora|Señor) Lupe\b", c) for c in cset.candidates), cset.candidates
    quince = build_candidate_set("quinceañera girl in a pink dress", seed=0)
    assert not any(re.search(r"\bgirl girl\b|\bboy boy\b", c) for c in quince.candidates), quince.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "(Señorita brand tequila bottle:1.3), lime wedges, salt rim",
        "vintage Geisha brand canned crab label, 1960s packaging, flat scan",
        "Mutti tomato passata bottle on a marble counter, basil, product photo",
        "Abuelita hot chocolate tin next to a clay mug, cinnamon sticks",
    ],
)
def test_a_brand_named_with_a_person_word_names_no_one(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1 and cset.candidates == (cset.true_prompt,), cset.template.text


@pytest.mark.parametrize(
    "prompt",
    [
        "Grandma knitting a scarf by the fire",
        "Mom brand ambassador smiling at a booth",
        "caricature of a Brazilian football fan with face paint and a samba drum",
        "caricature of a pakistani cricket fan screaming in the stands, face paint",
    ],
)
def test_a_person_before_a_thing_is_still_a_person(prompt: str) -> None:
    """The brand rules need the word "brand" or two words naming a thing, and never read a word of a
    people so: "a pakistani cricket fan" had been refused once a decoy's "Asian" read as a brand."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1, cset.template.text
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        'opera program for "Madama Butterfly" open on a velvet seat, opera glasses',
        "a hijra dancing at a wedding in Delhi",
        "steam rising from the olla, tamales on the table",
    ],
)
def test_a_word_of_its_own_is_no_typo_of_a_title_or_a_loanword(prompt: str) -> None:
    """ "Madama" is no misspelt "Madam" (no title is read through a typo); "hijra" (wordfreq 2.07)
    is no misspelt "hija" (1.90), "olla" no "lola": their frequencies were missing from the guard's
    list, built before those words were taxonomy words."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.candidates == (prompt,), cset.template.text


def test_the_typo_guards_frequencies_are_built_from_the_current_taxonomy() -> None:
    """`near_words.json` lists the wordfreq frequency of every word one edit from a sensitive word;
    a taxonomy word added without rebuilding it reads every rarer neighbour as its typo."""
    pytest.importorskip("wordfreq")
    spec = importlib.util.spec_from_file_location("obclip_build_privacy_data", ROOT / "tools" / "build_privacy_data.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    built = tool.near_words()["zipf"]
    committed = data_file("near_words.json")["zipf"]
    missing = sorted(set(built) - set(committed))
    assert not missing, f"rebuild with tools/build_privacy_data.py --near: {missing[:20]}"
    assert json.dumps(built, sort_keys=True) == json.dumps(committed, sort_keys=True)
