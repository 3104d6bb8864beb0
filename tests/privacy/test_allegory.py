"""Figures of allegory and of faith, tarot cards, and words written on things, named with person
words. Each had been read wrongly: "Mother Nature, her hair made of moss" had "his hair" among its
decoys; "the Empress tarot card" had "the Emperor tarot card"; "Our Lady of Guadalupe" was "Our
Lady of James"; the word on a tattoo's banner, "MOM", was varied; a Venus flytrap was a woman named
Venus; and "Mother Nature as an old woman" had "... as an old man" among its decoys, though her
name tells her gender."""

from __future__ import annotations

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set


@pytest.mark.parametrize(
    "prompt",
    [
        "the Empress tarot card border only, ornate frame, gold foil",
        "King of Cups tarot card, reversed, watercolor",
        "The Hanged Man tarot card, art nouveau, no figure",
        "major arcana set: the Emperor, the Empress and the Lovers, flat vector",
        "Mother Nature, her hair made of moss and ferns, watercolor",
        "Father Time with his hourglass on a cliff, surreal",
        "Lady Justice holding her scales, marble, museum photo",
        "Our Lady of Guadalupe tattoo, roses and rays, black and grey",
        "Mother Mary tattoo on forearm, fine line",
        "traditional anchor tattoo with the word MOM in a banner",
        "family crest with a lion and the words FATHER SON, gothic",
        "a Venus flytrap in a terracotta pot, macro photo",
    ],
)
def test_tarot_cards_and_figures_of_allegory_name_no_one(prompt: str) -> None:
    """A tarot card's court and its Emperor and Empress are cards, as on a chessboard; a pronoun
    after a figure of allegory in a prompt that names no person is the figure's, whose name,
    sent as written, tells its gender anyway: varying it only gave decoys that disagree. "Our Lady
    of Guadalupe" had been "Our Lady of James", the word on a tattoo's banner "the word DAD", and a
    Venus flytrap a woman named Venus."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.candidates
    assert cset.true_prompt == prompt


@pytest.mark.parametrize(
    ("prompt", "value"),
    [
        ("Mother Nature as an old woman weaving rivers, her hair made of moss", "female"),
        ("Father Time as a tired clockmaker, gears floating around him", "male"),
        ("Virgin Mary as a young Black woman, halo, stained glass", "female"),
    ],
)
def test_a_figure_of_allegory_is_a_strong_cue_of_the_person_it_is_drawn_as(prompt: str, value: str) -> None:
    """ "Mother Nature as an old man" among the decoys: the figure's name, in clear, tells the cloud
    which gender is the user's, so the residual notice names it as a strong cue."""
    cset = build_candidate_set(prompt, seed=0)
    assert any(r.reason == f"gender: {value} (strong cue)" for r in cset.residual), cset.residual
    assert_closed(prompt, seed=0)


def test_a_person_who_writes_the_word_is_still_a_person() -> None:
    assert_varied("a woman writing the word LOVE on a fogged window", "woman")


@pytest.mark.parametrize(
    "prompt",
    [
        "a Cowboys jersey on a hanger, product photo",
        "a Kings game at the arena, wide shot of the crowd",
        "a Vikings mascot logo, flat vector, white background",
    ],
)
def test_a_capitalised_plural_before_a_fans_thing_names_a_team(prompt: str) -> None:
    """ "a Cowboys jersey" had been sent with "a Cowgirls jersey", "a Vikings mascot" with "a
    Hispanics mascot": a plural after "a" modifies the thing after it only as a name."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.candidates


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("my son in his Cowboys jersey at the game", "son"),  # the son varies, the team stays
        ("a cowboys jersey on a hanger", "cowboys"),  # in lower case, the words of a person
        ("a Girls night out with friends, neon bar", "Girls"),  # no thing of a team's fans after it
    ],
)
def test_a_plural_that_names_no_team_is_varied(prompt: str, word: str) -> None:
    assert_varied(prompt, word)
    if word == "son":
        assert all(
            "his Cowboys jersey" in c or "her Cowboys jersey" in c
            for c in build_candidate_set(prompt, seed=0).candidates
        )
