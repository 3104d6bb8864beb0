"""Health, bodies and care: what a patient or a carer is said to be or to use. A mobility aid is a
weak cue of age that stays in the cloud's view: sent as "chair", a wheelchair racer's picture lost
its wheelchair for the steps that lay out the image."""

from __future__ import annotations

import pytest

from obclip.privacy import build_candidate_set
from obclip.privacy.correlate import revealed
from obclip.view import cloud_view


def test_a_wheelchair_is_sent_as_written_and_told() -> None:
    view = cloud_view("a wheelchair user in his 30s racing on a track, determined", seed=0)
    assert len(view) > 1
    assert all("a wheelchair user" in c for c in view.candidates), view.candidates
    assert not all("30s" in c for c in view.candidates)  # the age stays varied
    assert any(r.word == "wheelchair" and r.strength == "weak" for r in revealed(view))


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a 34 weeks pregnant woman doing yoga on a mat", "{} doing yoga on a mat"),
        ("an eight months pregnant woman in a field", "{} in a field"),
        ("a woman, 8 months pregnant, in a field", "{}, in a field"),
    ],
)
def test_the_time_a_dropped_cue_measures_goes_with_it(prompt: str, sent: str) -> None:
    """ "a 34 weeks pregnant woman" had been sent as "a 34 weeks woman"; between commas the cue
    had stayed (without it, "8 months" read as the woman's age), fixing her gender."""
    view = cloud_view(prompt, seed=0)
    assert sorted(view.candidates) == sorted(sent.format(p) for p in ("a man", "a woman"))


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a granny doing chair yoga, 82 years young, community centre", "82 years young"),
        ("grandma is 75 years young today, party hat", "75 years young"),
    ],
)
def test_years_young_is_an_age(prompt: str, age: str) -> None:
    """ "82 years young" had been sent in clear; it is read and kept as written in the user's own
    candidate, every decoy in the same style."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.candidates[cset.true_index] == prompt
    assert not all(age in c for c in cset.candidates)
    assert all("years young" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a doula supporting a mother in labour, birthing pool, dim light", "a doula supporting a {}, birthing pool"),
        ("a woman in labor gripping the bed rail, hospital", "a {} gripping the bed rail, hospital"),
    ],
)
def test_in_labour_reveals_gender_and_is_dropped_whole(prompt: str, sent: str) -> None:
    """A decoy "a father in labour" had nobody to fool; the cue, a phrase of its own after the
    person's noun, goes with its preposition."""
    view = cloud_view(prompt, seed=0)
    assert len(view) >= 2
    assert all("labo" not in c for c in view.candidates)
    assert any(c.startswith(sent.format("mother" if "mother" in prompt else "woman")) for c in view.candidates)
