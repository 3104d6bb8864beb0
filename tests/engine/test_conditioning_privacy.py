"""A weight never tells which candidate is the user's: every candidate of a weighted prompt carries
the same syntax (brackets, weights, BREAKs, escapes) at the same places, and the same weights."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obclip.errors import InvalidInputError
from obclip.privacy import build_candidate_set
from obclip.syntax import parse

PHRASES = [
    "an old woman",
    "a young man",
    "Asian",
    "woman",
    "man",
    "old",
    "smiling",
    "in a park",
    "portrait of",
    "masterpiece",
    "dark hair",
    "her hat",
    "a girl",
]
WRAPS = ["{}", "({})", "(({}))", "[{}]", "({}:1.3)", "({}:0.7)", "[({}:1.2)]", "\\({}\\)"]
JOINS = [" ", ", ", " BREAK "]


def structure(prompt: str) -> tuple:
    parsed = parse(prompt)
    return (
        parsed.marks,
        tuple(round(f.weight, 9) for f in parsed.fragments),
        tuple(f.is_break for f in parsed.fragments),
    )


def check(prompt: str) -> None:
    try:
        cset = build_candidate_set(prompt, seed=0)
    except InvalidInputError:
        return  # refused before anything is sent (e.g. "a man ... her hat", or too many candidates)
    want = structure(cset.true_prompt)
    assert structure(prompt)[0] == want[0], (prompt, cset.true_prompt)
    for candidate in cset.candidates:
        assert structure(candidate) == want, (prompt, candidate)


def test_examples():
    for prompt in [
        "a photo of (an old woman:1.3) smiling, ((masterpiece))",
        "portrait of a [young] (Asian man:1.2) BREAK (dark hair)",
        "an (old:1.4) woman holding \\(her\\) hat",
        "((old)) man, [[blurry]]",
    ]:
        check(prompt)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(PHRASES), st.sampled_from(WRAPS)), min_size=1, max_size=4),
    st.lists(st.sampled_from(JOINS), min_size=6, max_size=6),
)
def test_every_candidate_has_the_users_syntax_and_weights(parts, joins):
    prompt = ""
    for index, (phrase, wrap) in enumerate(parts):
        prompt += (joins[index] if index else "") + wrap.format(phrase)
    check(prompt)
