"""Health, bodies and care: what a patient or a carer is said to be or to use. A mobility aid is a
weak cue of age that stays in the cloud's view: sent as "chair", a wheelchair racer's picture lost
its wheelchair for the steps that lay out the image."""

from __future__ import annotations

from obclip.privacy.correlate import revealed
from obclip.view import cloud_view


def test_a_wheelchair_is_sent_as_written_and_told() -> None:
    view = cloud_view("a wheelchair user in his 30s racing on a track, determined", seed=0)
    assert len(view) > 1
    assert all("a wheelchair user" in c for c in view.candidates), view.candidates
    assert not all("30s" in c for c in view.candidates)  # the age stays varied
    assert any(r.word == "wheelchair" and r.strength == "weak" for r in revealed(view))
