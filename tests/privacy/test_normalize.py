"""Normalisation: hostile characters never carry a sensitive word past detection, the user's own
candidate is the normalised text, and normalising is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed

from obclip.errors import InvalidInputError
from obclip.privacy import build_candidate_set, normalize, normalize_text, refuse_warnings
from obclip.privacy.language import language_of
from obclip.view import cloud_view

HOSTILE = [
    ("an old wo\u200bman", "an old woman"),  # zero-width space
    ("an old wo\u200dman", "an old woman"),  # zero-width joiner between letters
    ("an old wo\u00adman", "an old woman"),  # soft hyphen
    ("an old wo\u2060man", "an old woman"),  # word joiner
    ("an old \u202ewoman", "an old woman"),  # bidi override
    ("an old wo\ufeffman", "an old woman"),  # byte order mark
    ("an old w\u043eman", "an old woman"),  # Cyrillic о
    ("an \u03bfld woman", "an old woman"),  # Greek ο
    ("an old WОMAN", "an old WOMAN"),  # Cyrillic capital О
    ("an old \uff57\uff4f\uff4d\uff41\uff4e", "an old woman"),  # full-width
    ("an old w\u0303oman", "an old woman"),  # stray combining mark
    ("his fiance\u0301e", "his fiancée"),  # decomposed accent
    ("old_woman, 1girl", "old woman, 1girl"),  # booru underscores
    ("dark-skinned_female", "dark-skinned female"),
    ("a 30 y/o\u0302 nurse", "a 30-year-old nurse"),  # an accent on an age abbreviation
    ("a 30 y/o nurse", "a 30-year-old nurse"),
    ("a dad hiking with a 9mo baby", "a dad hiking with a 9-month-old baby"),  # a baby's months
    ("twins, 18mos, in a stroller", "twins, 18-month-old, in a stroller"),
    ("a 9 mos old baby", "a 9-month-old baby"),
    ("the 1 mo anniversary", "the 1 mo anniversary"),  # "mo" after a space only before "old"
    ("a woman in her \u04310\u0455", "a woman in her 60s"),  # a Cyrillic б for a 6 beside a digit
    ("бабушка 3 года", "бабушка 3 года"),  # ... but not in a word without a digit
]


@pytest.mark.parametrize(("hostile", "expected"), HOSTILE)
def test_hostile_text_is_read_as_the_plain_word(hostile: str, expected: str) -> None:
    assert normalize_text(hostile) == expected


@pytest.mark.parametrize(("hostile", "expected"), HOSTILE[:12])
def test_no_hostile_case_sends_the_sensitive_word_in_clear(hostile: str, expected: str) -> None:
    cset = build_candidate_set(hostile, seed=0)
    assert len(cset) > 1
    assert cset.device_prompt == expected
    for candidate in cset.candidates:
        assert "\u200b" not in candidate and "\u043e" not in candidate
    # the user's own candidate is the normalised text, in canonical form
    assert cset.true_prompt in cset.candidates
    assert "gender" in {a.kind for a in cset.attributes if a.name not in cset.fixed}


def test_mixed_script_words_are_told_and_refused_under_strict() -> None:
    cset = build_candidate_set("an old w\u043eman", seed=0)
    assert normalize("an old w\u043eman").mixed_script == ("w\u043eman",)
    assert any("look-alike" in w for w in cset.warnings)
    with pytest.raises(InvalidInputError, match="strict"):
        refuse_warnings(cset, "--strict")
    assert "w\u043eman" not in str(cset.public_dict())


def test_emoji_joiners_survive_normalisation() -> None:
    family = "a \U0001f468\u200d\U0001f469\u200d\U0001f467 family"
    assert normalize_text(family) == family
    assert normalize_text("\U0001f469\u200d\u2695\ufe0f doctor") == "\U0001f469\u200d\u2695\ufe0f doctor"


def test_a_stray_mark_does_not_keep_a_look_alike_letter_for_a_second_pass() -> None:
    once = normalize_text("b\u03011\u03bf")  # a combining accent on "b", then a Greek omicron
    assert normalize_text(once) == once


def test_words_of_one_other_script_are_kept() -> None:
    assert normalize_text("женщина в красном платье") == "женщина в красном платье"
    assert normalize("женщина в красном платье").mixed_script == ()


def test_non_english_prompt_is_told_and_refused_under_strict() -> None:
    cset = build_candidate_set("une vieille femme avec un chat dans un jardin", seed=0)
    assert len(cset) == 1
    assert any("only English is read" in w for w in cset.warnings)
    with pytest.raises(InvalidInputError, match="only English"):
        refuse_warnings(cset, "strict")


@pytest.mark.parametrize(
    "prompt", ["un vieux pêcheur qui répare son filet sur le port", "un homme qui lit le journal dans un café"]
)
def test_a_prompt_of_many_short_words_the_english_list_also_holds_is_still_told(prompt: str) -> None:
    # "un", "le", "son", "sur", "port" are on the English frequency list: half the words look English
    assert language_of(prompt) == "fr"


def test_english_prompts_with_some_foreign_words_are_english() -> None:
    assert language_of("portrait of an old man in a café in Paris, bokeh") is None
    assert language_of("a man reading la gazzetta dello sport in a piazza") is None


def test_non_english_prompt_is_told_in_the_notice_shown_before_sending() -> None:
    # the notice is what every front end shows; a warning kept only in `warnings` was never seen
    sent = cloud_view("eine alte Frau sitzt auf einer Bank im Park", seed=0)
    assert "only English is read" in (sent.notice or "")
    assert "only English" not in (cloud_view("an old woman sitting on a bench in the park", seed=0).notice or "")


@pytest.mark.parametrize(
    "prompt",
    [
        "portrait of an old woman, highly detailed, 8k, artstation",
        "1girl, solo, long hair, looking at viewer, smile, masterpiece, best quality",
        "(masterpiece:1.2), [old man|young woman], bokeh, volumetric lighting, octane render",
        "cyberpunk samurai, neon, rain, unreal engine 5, trending on artstation",
    ],
)
def test_english_prompts_and_tag_lists_are_english(prompt: str) -> None:
    assert language_of(prompt) is None


@pytest.mark.parametrize(
    ("prompt", "language"),
    [("eine alte Frau mit Hut im Regen", "de"), ("una mujer joven en la playa al atardecer", "es")],
)
def test_other_languages_are_named(prompt: str, language: str) -> None:
    assert language_of(prompt) == language


_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"abcdefgh womanld_-,.()[]:1é",
            *("\u200b", "\u200d", "\u00ad", "\u202e", "\u043e", "\u03bf", "\uff57", "\u0301", "\u0303", "\ufe0f"),
            *("\U0001f469", "\U0001f3fd", "\u2640"),
        ]
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("can u make me a pic of my grandma as a queen, shes 84 and loves purple", "she's 84"),
        ("can you do one of my son (hes 3) as a little astronaut", "(he's 3)"),
        ("Shes a nurse in scrubs", "She's a nurse"),
        # an accent put on it to slip past hides nothing
        ("make it so the girl is holding a puppy instead of the cat, she\u0301s like 10", "she's like 10"),
    ],
)
def test_a_pronoun_contraction_without_its_apostrophe_is_read_and_varied(prompt: str, read: str) -> None:
    """Chat requests write "shes 84", "hes 3": no English word, so the pronoun and the age after it
    had gone out in clear in every candidate."""
    assert read in normalize(prompt).text
    cset = build_candidate_set(prompt, seed=0)
    assert not all(read in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("pls draw my wife and me as anime characters, shes filipina im irish", "filipina"),
        ("make me look like a disney princess (im 16, brown skin, curly hair)", "16"),
        ("she's korean im mexican, draw us as pirates", "korean"),
    ],
)
def test_im_before_an_age_or_a_people_is_read_as_i_am_and_what_follows_is_varied(prompt: str, word: str) -> None:
    """Chat requests write "im 16", "im irish": read as a noun "im", it had made "filipina im" a
    thing's word, and "16" no one's age; both had gone out in clear in every candidate."""
    assert "i'm" in normalize(prompt).text
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_im_before_another_word_stays_as_written() -> None:
    assert normalize("sitting im Park, a woman").text == "sitting im Park, a woman"
    assert normalize("im going to draw a girl").text == "im going to draw a girl"


def test_a_capitalised_hes_inside_a_sentence_is_a_name() -> None:
    assert normalize("the Hes family crest over a fireplace").text == "the Hes family crest over a fireplace"


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("my mil keeps asking for a family portrait, can you do one with her", "my mother-in-law"),
        ("draw my FIL fishing on a lake", "my father-in-law"),
    ],
)
def test_an_in_law_abbreviated_after_a_possessive_is_read_in_full(prompt: str, read: str) -> None:
    """Chat requests write "my mil": the mother-in-law had gone out in clear."""
    assert read in normalize(prompt).text
    assert len(build_candidate_set(prompt, seed=0)) > 1
    assert_closed(prompt, seed=0)


def test_mil_without_a_possessive_is_no_in_law() -> None:
    assert normalize("a 50 mil budget movie poster").text == "a 50 mil budget movie poster"


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("a pic of me (34F) as a warrior queen in the snow pls", "(34-year-old female)"),
        ("me (28 M) and my gf (27f) at the beach", "(28-year-old male)"),
    ],
)
def test_an_age_and_sex_in_brackets_as_forums_write_them_is_read(prompt: str, read: str) -> None:
    """ "(34F)" had gone out in clear in every candidate: an age and a sex no word list holds."""
    assert read in normalize(prompt).text
    cset = build_candidate_set(prompt, seed=0)
    assert not all(read in c for c in cset.candidates)
    assert normalize("shot at (35mm), a man").text == "shot at (35mm), a man"


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("i uploaded a pic of me, 25F, can you make me look like a 1950s pin-up", "25-year-old female"),
        ("tinder photo of me lol, 27f, sundress, rooftop bar", "27-year-old female"),
        ("me, 34M, rock climbing gym", "34-year-old male"),
        ("i'm 25F, turn me into a cyberpunk mercenary", "25-year-old female"),
        # a profile's or a dating app's prompt shows the user too; "F/34"; a decade and a sex
        ("dating profile photo, 34M, bald, beard, hiking in the mountains", "34-year-old male"),
        ("selfie with better lighting pls. 20F. dont change my nose", "20-year-old female"),
        ("F/34, mixed race, freckles, watercolor portrait of me holding my cat", "34-year-old female"),
        ("make me look older, I'm currently 27f", "27-year-old female"),
        ("40s m, bit of a belly, realistic avatar of myself as a viking", "40-something male"),
        ("28/F here, want a fantasy portrait", "28-year-old female"),
        ("me (f, 25) as a mermaid on a rock", "(female, 25)"),
        ("I (25, M) at a desk, cartoon style", "(25, male)"),
    ],
)
def test_an_age_and_sex_as_a_tag_of_a_prompt_about_the_user_is_read(prompt: str, read: str) -> None:
    """ "me, 25F," had gone out in clear, N = 1, where "(25F)" was read; so had "dating profile
    photo, 34M" and "F/34", read only after "me" or "i'm"."""
    assert read in normalize(prompt).text
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not all(read in c for c in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "winter morning, 25F, frost on the window",
        "swimmer, 50m, freestyle, me cheering",
        "a 4F pencil, sketch",
        "portrait of me, shot at f/16, golden hour",
        "an M/24 rifle on a table, me cleaning it",
        "size: M, color: white, sex pistols poster",
        "my jeans (M, 32) on a hanger",
    ],
)
def test_a_temperature_a_length_or_a_grade_is_no_age_and_sex(prompt: str) -> None:
    assert normalize(prompt).text == prompt
