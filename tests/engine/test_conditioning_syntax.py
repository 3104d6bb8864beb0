"""Prompt weight syntax and chunk layout (`obclip.syntax`, torch-free): AUTOMATIC1111's documented rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obclip.syntax import COMMA_BACKTRACK, ROUND, SQUARE, chunk_tokens, parse


def weights(prompt: str) -> list[tuple[str, float]]:
    return [("BREAK" if f.is_break else f.text, round(f.weight, 6)) for f in parse(prompt).fragments]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a (red) car", [("a ", 1.0), ("red", 1.1), (" car", 1.0)]),
        ("a ((red)) car", [("a ", 1.0), ("red", 1.21), (" car", 1.0)]),
        ("a [red] car", [("a ", 1.0), ("red", round(1 / 1.1, 6)), (" car", 1.0)]),
        ("a (old woman:1.3), smiling", [("a ", 1.0), ("old woman", 1.3), (", smiling", 1.0)]),
        ("(a (b:2) c:0.5)", [("a ", 0.5), ("b", 1.0), (" c", 0.5)]),  # nesting multiplies
        ("(a [b])", [("a ", 1.1), ("b", 1.0)]),
        ("a ( b : 1.5 ) c", [("a ", 1.0), (" b ", 1.5), (" c", 1.0)]),  # spaces around the weight
        (r"a \(b\) \[c\] d\\e", [(r"a (b) [c] d\e", 1.0)]),  # escaped brackets are text
        ("(x \\) y)", [("x ) y", 1.1)]),
        ("a) b]", [("a) b]", 1.0)]),  # a closer without its opener is text
        ("(a b", [("a b", 1.1)]),  # an opener never closed weighs the rest
        ("a (b:x) c", [("a ", 1.0), ("b:x", 1.1), (" c", 1.0)]),  # not a number: ':' is text
        ("a BREAK b", [("a", 1.0), ("BREAK", 1.0), ("b", 1.0)]),
        ("BREAK a", [("BREAK", 1.0), ("a", 1.0)]),
        ("a BREAKING b break c", [("a BREAKING b break c", 1.0)]),  # only the uppercase word
        ("(a BREAK b:1.5)", [("a", 1.5), ("BREAK", 1.0), ("b", 1.5)]),  # a break inside a group still breaks
        ("", [("", 1.0)]),
    ],
)
def test_parse_follows_automatic1111(prompt, expected):
    assert weights(prompt) == expected


def test_marks_are_the_syntax_in_order():
    parsed = parse("a (old woman:1.3) BREAK [hat] \\(x\\)")
    assert parsed.marks == ("(", ":1.3)", "BREAK", "[", "]", "\\(", "\\)")
    assert parsed.text == "a old woman hat (x)"
    assert parsed.weighted


@given(st.text(alphabet=st.characters(blacklist_characters="()[]\\:", blacklist_categories=("Cs",))))
def test_plain_text_is_one_fragment_of_weight_one(text):
    parsed = parse(text)
    if "BREAK" in text:
        return
    assert [(f.text, f.weight) for f in parsed.fragments] == [(text, 1.0)]
    assert parsed.marks == () and not parsed.weighted


@given(st.lists(st.sampled_from(["(", ")", "[", "]", ":1.5)", "\\(", "word", " ", "BREAK", ","]), max_size=30))
def test_any_bracket_soup_parses_and_keeps_every_word(parts):
    """No input makes the parser fail, and the words survive in order (only the syntax goes)."""
    prompt = "".join(parts)
    parsed = parse(prompt)
    assert parsed.text.replace(" ", "").count("word") == prompt.count("word")
    assert all(f.weight > 0 for f in parsed.fragments)


def test_weights_multiply_as_documented():
    assert ROUND == 1.1 and pytest.approx(1 / 1.1) == SQUARE
    ((_, w),) = [(f.text, f.weight) for f in parse("(((x)))").fragments]
    assert w == pytest.approx(1.1**3)


def run(n: int, weight: float = 1.0, start: int = 0) -> tuple[list[int], float]:
    return list(range(start, start + n)), weight


COMMA = -1


def test_chunks_of_75_without_commas():
    chunks = chunk_tokens([run(160)], 75, COMMA)
    assert [len(c) for c in chunks] == [75, 75, 10]
    assert [t for c in chunks for t, _ in c] == list(range(160))


def test_full_chunk_breaks_after_its_last_comma_within_the_backtrack():
    tokens = [*list(range(70)), COMMA, *list(range(100, 120))]
    chunks = chunk_tokens([(tokens, 1.0)], 75, COMMA)
    assert [len(c) for c in chunks] == [71, 20]
    assert chunks[0][-1][0] == COMMA and chunks[1][0][0] == 100


def test_comma_further_back_than_the_backtrack_is_ignored():
    tokens = [*list(range(75 - COMMA_BACKTRACK - 2)), COMMA, *list(range(100, 140))]
    chunks = chunk_tokens([(tokens, 1.0)], 75, COMMA)
    assert [len(c) for c in chunks] == [75, len(tokens) - 75]


def test_breaks_and_weights_travel_with_their_tokens():
    chunks = chunk_tokens([run(3, 1.3), None, run(2, 0.5, start=10), None], 75, COMMA)
    assert chunks == [[(0, 1.3), (1, 1.3), (2, 1.3)], [(10, 0.5), (11, 0.5)]]
    assert chunk_tokens([None, run(1)], 75, COMMA) == [[], [(0, 1.0)]]  # a leading BREAK: an empty chunk
    assert chunk_tokens([], 75, COMMA) == [[]]
