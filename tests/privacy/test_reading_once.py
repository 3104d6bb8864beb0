"""What detection finds once per text and then looks up (sentence breaks, likeness phrases) is what a
search bounded to the stretch asked about finds: the lookups only save reading a long prompt again
for each of its words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from obclip.privacy.binding import _LIKENESS_OF, _likenesses_of
from obclip.privacy.detect import _ABBREVIATIONS, _SENTENCE_BREAK, _Detector
from obclip.privacy.taxonomy import default_taxonomy

_TOKENS = [
    "a", "woman", "man", "statue", "of", "painted", "as", "like", "looks", "into", "an", "old", "king",
    "Mr.", "dr.", "end.", "wow!", "really?", "(doll:1.2)", "((marionette))", '"', ")", ",", ";", ":", "-",
    "she", "he", "'", "’", "x1.5", "1.2", "\n", "Dr", "st.", "etc.", "no.",
]  # fmt: skip
_TEXTS = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=40).map(" ".join)


def _bounded_breaks(folded: str, start: int, end: int) -> int:
    return sum(m.group(1) not in _ABBREVIATIONS for m in _SENTENCE_BREAK.finditer(folded, start, end + 1))


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.data())
def test_sentence_breaks_counted_from_their_positions_are_the_bounded_count(text: str, data: st.DataObject) -> None:
    detector = _Detector(text, default_taxonomy())
    folded = detector.folded
    start = data.draw(st.integers(0, len(folded)))
    end = data.draw(st.integers(start, len(folded)))
    assert detector._sentence_breaks(start, end) == _bounded_breaks(folded, start, end)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.data())
def test_likeness_phrases_looked_up_are_the_bounded_search(text: str, data: st.DataObject) -> None:
    folded = text.lower()
    low = data.draw(st.integers(0, len(folded)))
    high = data.draw(st.integers(low, len(folded)))
    found = [(m.start(), m.end(), m.groups()) for m in _likenesses_of(folded, low, high)]
    assert found == [(m.start(), m.end(), m.groups()) for m in _LIKENESS_OF.finditer(folded, low, high)]
