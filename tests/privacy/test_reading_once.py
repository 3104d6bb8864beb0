"""What detection finds once per text and then looks up (sentence breaks, likeness phrases) is what a
search bounded to the stretch asked about finds: the lookups only save reading a long prompt again
for each of its words. Meme names are looked up the same way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from obclip.privacy.binding import (
    _CLAUSE_BREAK,
    _LIKENESS_OF,
    _MEME_AFTER,
    _RECREATED,
    _RECREATING,
    _likenesses_of,
    _opening,
    in_recreated_meme,
)
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


_MEME_TOKENS = [
    "meme", "memes", "meme template but both are cats", "meme with three dogs", "recreated with corgis",
    "woman", "recreating the", "boyfriend", ",", ".", ";", "(", ")", "meme-", "memes'", "ok", "\n",
]  # fmt: skip


def _bounded_recreated_meme(folded: str, start: int) -> bool:
    _, next_break = _opening(_CLAUSE_BREAK, folded, start)
    end = len(folded) if next_break is None else next_break
    meme = _MEME_AFTER.search(folded, start, end)
    if meme is None or _RECREATED.search(folded) is None:
        return False
    return _RECREATING.search(folded, start, meme.start()) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MEME_TOKENS), min_size=1, max_size=30).map(" ".join), st.data())
def test_memes_looked_up_are_the_bounded_search(folded: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(folded)))
    assert in_recreated_meme(folded, start) == _bounded_recreated_meme(folded, start)
