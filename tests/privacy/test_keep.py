"""Keep and detect: the user's own candidate keeps the numbers, names and words it wrote (form keys:
rows of `data/keep.json`, name pairs, parallel forms) while every member still expands to the same
set; and the detection kinds of issue 17 (role words, emoji, couples, child nouns, tag lists)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed

from obclip.privacy import build_candidate_set, default_taxonomy, detect
from obclip.privacy.keep import _pair_rows, _spell, parse_number
from obclip.privacy.taxonomy import data_name_keys, surface_key

ROWS = json.loads(resources.files("obclip.privacy").joinpath("data/keep.json").read_text(encoding="utf-8"))
AGE_ROWS = ROWS["numbers"]["age"]["default"]["blocks"]


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def persons(prompt: str) -> int:
    return len({a.person for a in detect(prompt).attributes})


@pytest.mark.parametrize(
    "prompt",
    [
        "a 35-year-old father with twins",
        "a woman, 45, sitting on a bench feeding pigeons",
        "a man in his seventies restoring a vintage car",
        "a woman in her 30s drinking coffee by the window",
        "his 7th birthday party with balloons",
        "a boy aged 5 building a sandcastle",
        "a boy of about six chasing bubbles",
        "an 80-year-old farmer on his tractor",
        "a man, aged 72, sitting on a park bench",
        "a twentysomething barista pouring latte art",
        "an 85 year old woman blowing out candles",
        "a 16 year old boy learning to drive",
    ],
)
def test_the_users_candidate_keeps_its_numbers(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert cset.true_prompt == prompt
    assert_closed(prompt, seed=0)


def test_an_age_after_at_following_a_titled_name_is_that_persons_age() -> None:
    """ "Mr. Tanaka at 82" is his age, as "Mr. Tanaka, 82," is: varied, the user's number kept."""
    prompt = "Mr. Tanaka at 82, still teaching kendo every morning"
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert len({re.search(r" at (\d+)", c).group(1) for c in cset.candidates}) > 1, cset.candidates  # type: ignore[union-attr]
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a herder boy, about ten, riding a horse across the steppe", "ten"),
        ("a baby, about six months, asleep on a blanket", "six months"),
        ("a girl of about seven, reading under a tree", "seven"),
    ],
)
def test_an_approximate_age_in_words_is_varied_in_words_and_kept(prompt: str, age: str) -> None:
    """The row of "about ten" holds an infant's "6m": said in words ("about six months"), so the
    user's own candidate keeps "about ten" (it had been sent as "about nine", or not read at all)."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    said = {re.search(r"about ([a-z]+(?: months)?)", c).group(1) for c in cset.candidates}  # type: ignore[union-attr]
    assert age in said and len(said) > 1, cset.candidates
    assert_closed(prompt, seed=0)


def test_a_number_in_no_row_keeps_its_style_and_category_and_says_so_by_changing() -> None:
    # 71 has no young partner that is written "aged N" (young ages end at 34): the nearest row that
    # renders in that style
    cset = build_candidate_set("a man aged 71 on a bench", seed=0)
    assert cset.true_prompt == "a man aged 70 on a bench"
    assert detect(cset.true_prompt).true_values == detect("a man aged 71 on a bench").true_values
    assert_closed("a man aged 71 on a bench", seed=0)


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("an 87-year-old woman knitting", "an 88-year-old woman knitting"),
        ("grandma, 84, knitting by the fire", "grandma, 85, knitting by the fire"),
    ],
)
def test_a_number_in_no_row_is_sent_as_the_nearest_number_a_row_has(prompt: str, sent: str) -> None:
    assert build_candidate_set(prompt, seed=0).true_prompt == sent
    assert_closed(prompt, seed=0)


def test_every_candidate_renders_its_own_entry_of_the_row() -> None:
    cset = build_candidate_set("a 25-year-old woman", seed=0)
    assert {numbers(c)[0] for c in cset.candidates} == {"25", "40", "70"}  # one row of keep.json
    assert [25, 40, 70] in AGE_ROWS


def test_number_parsing_gives_style_and_number() -> None:
    assert parse_number("6-month-old") == ("#-{U}-old", "6m")
    assert parse_number("forty-five years old") == ("@ {U}s old", "45")
    assert parse_number("seventies") == ("@s", "70")
    assert parse_number("21st") == ("#o", "21")
    assert parse_number("young") is None


def test_rows_are_a_partition_and_the_first_is_canonical() -> None:
    taxonomy = default_taxonomy()
    for attribute, groups in ROWS["numbers"].items():
        spec = taxonomy.attribute(attribute)
        for group in groups.values():
            for column in range(len(group["values"])):
                entries = [str(row[column]) for row in group["blocks"]]
                assert len(entries) == len(set(entries)), (attribute, group["values"][column])
        canonical = [parse_number(spec.canonical(v, "years_old")) for v in groups["default"]["values"]]
        assert [c[1] for c in canonical if c] == [str(n) for n in groups["default"]["blocks"][0]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    age=st.integers(0, 99),
    style=st.sampled_from(["a {n}-year-old {noun} reading", "a {noun} aged {n} reading", "a {noun}, {n}, reading"]),
    noun=st.sampled_from(["woman", "man", "girl", "boy", "mother"]),
    seed=st.integers(0, 2**32),
)
def test_the_users_candidate_keeps_age_category_numbers_in_rows_and_persons(
    age: int, style: str, noun: str, seed: int
) -> None:
    prompt = style.format(n=age, noun=noun)
    cset = build_candidate_set(prompt, seed=seed)
    mine = detect(prompt)
    sent = detect(cset.true_prompt)
    assert sent.true_values == mine.true_values  # every age category (and gender) as written
    assert persons(cset.true_prompt) == persons(prompt)
    # the rows whose young entry is an adult age render in every adult style (the others are birthdays)
    if noun in ("woman", "man", "mother") and any(age in row for row in AGE_ROWS if row[0] >= 18):
        assert numbers(cset.true_prompt) == [str(age)]
    assert_closed(prompt, seed=seed)


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [
        ("Fatima baking bread in a clay oven", "Fatima"),
        ("Sir Patrick reading Shakespeare on stage", "Patrick"),
        ("Sophia and Liam on a picnic blanket", "Sophia and Liam"),
        ("Grandma Rose baking apple pie in her kitchen", "Grandma Rose"),
        ("Uncle Bob grilling burgers", "Uncle Bob"),
    ],
)
def test_the_users_candidate_keeps_its_names_and_decoys_use_their_pair(prompt: str, kept: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert kept in cset.true_prompt
    assert all("Emma" not in c and "James" not in c for c in cset.candidates)  # a pair, not the canonical names
    assert_closed(prompt, seed=0)


def test_every_hand_listed_name_is_in_a_pair_so_the_users_candidate_keeps_it() -> None:
    # the hand lists are read wherever a name is capitalised and pair among themselves: one left
    # without a partner ("a journalist named Siobhan") would send the user's candidate as "Emma"
    taxonomy = default_taxonomy()
    spec = taxonomy.attribute("gender")
    generated = data_name_keys()
    paired = {surface_key(name) for row in _pair_rows(taxonomy, spec) for name in row.values()}
    hand = [n for v in spec.values for n in spec.forms[v].get("first_name", ()) if surface_key(n) not in generated]
    assert len(hand) > 900
    assert [n for n in hand if surface_key(n) not in paired] == []
    for name, decoy in (("Siobhan", "Ruairi"), ("Adwoa", "Kwadwo"), ("Elif", "Baris")):
        cset = build_candidate_set(f"a journalist named {name} in the rain", seed=0)
        assert cset.true_prompt == f"a journalist named {name} in the rain"
        assert set(cset.candidates) == {cset.true_prompt, f"a journalist named {decoy} in the rain"}
        assert_closed(f"a journalist named {name} in the rain", seed=0)


def test_a_name_in_no_pair_is_rendered_canonically() -> None:
    cset = build_candidate_set("Grandma Xqzwy baking bread", seed=0)
    assert set(cset.candidates) == {"Grandma Emma baking bread", "Grandpa James baking bread"}


@pytest.mark.parametrize(
    ("prompt", "word", "decoy"),
    [
        ("an Irish lass with freckles in a green field", "lass", "lad"),
        ("my stepdad teaching me to ride a bike", "stepdad", "stepmom"),
        ("a beautiful womans face, close-up", "womans", "mans"),
        ("my nonna cooking pasta", "nonna", "nonno"),
        ("a toddler stacking blocks", "toddler", "preschooler"),
        ("a teen girl writing in her diary", "teen", "toddler"),
        ("a baby sleeping in a basket", "baby", "little kid"),
        ("a preadolescent reading comics", "preadolescent", "toddler"),
        ("a tween kid reading comics", "tween kid", "teen kid"),
        ("Herr Vogel repairing a cuckoo clock", "Herr", "Frau"),
    ],
)
def test_parallel_forms_keep_the_users_word(prompt: str, word: str, decoy: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert f" {word} " in f" {cset.true_prompt} "
    assert any(f" {decoy} " in f" {c} " for c in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "read"),
    [
        ("👰 standing under a floral arch", "bride with veil"),
        ("🤵 adjusting his cufflinks", "man in tuxedo"),
        ("👶 sleeping in a basket", "baby"),
        ("🧕 reading in a library", "person with headscarf"),
        ("💃 at a flamenco show", "woman dancing"),  # DANCER: its CLDR name tells what is drawn
    ],
)
def test_person_emoji_are_read_by_their_unicode_name(prompt: str, read: str) -> None:
    emoji = prompt[0]
    cset = build_candidate_set(prompt, seed=0)
    assert all(emoji not in c for c in cset.candidates)
    assert cset.true_prompt.startswith(read)
    assert_closed(prompt, seed=0)


def test_object_emoji_named_after_a_person_stay() -> None:
    assert build_candidate_set("a 🍼 and a 👒 on a table", seed=0).candidates == ("a 🍼 and a 👒 on a table",)


@pytest.mark.parametrize(
    ("prompt", "other"),
    [
        ("a washerwoman scrubbing clothes by the river", "washerman"),
        ("two stuntmen jumping from a roof", "stuntwomen"),
        ("a sheikh walking through a desert oasis", "sheikha"),
        ("a debutante descending a staircase", "debutant"),
    ],
)
def test_gendered_role_words_are_varied(prompt: str, other: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert any(other in c.split() for c in cset.candidates)
    assert_closed(prompt, seed=0)


def test_a_comic_character_is_no_role_word() -> None:
    assert len(build_candidate_set("Batman on a rooftop at night", seed=0)) == 1


def test_a_couples_orientation_varies_with_its_gender_mix() -> None:
    cset = build_candidate_set("a lesbian couple cuddling on a couch", seed=0)
    assert set(cset.candidates) == {
        "a lesbian couple cuddling on a couch",
        "a gay couple cuddling on a couch",
        "a straight couple cuddling on a couch",
    }
    assert_closed("a lesbian couple cuddling on a couch", seed=0)


def test_an_ethnicity_before_a_person_named_by_its_suffix_is_bound() -> None:
    cset = build_candidate_set("a Navajo silversmith at work", seed=0)
    assert len(cset) == 6 and all("Navajo" not in c for c in cset.candidates)
    assert len(build_candidate_set("a German shepherd dog", seed=0)) == 1


def test_a_tag_list_told_by_person_tags_varies_its_age_tag() -> None:
    cset = build_candidate_set("elderly, female, wheelchair, seaside promenade", seed=0)
    assert all("elderly" not in c for c in cset.candidates) and len(cset) == 6


@pytest.mark.parametrize("prompt", ["the little prince book on a nightstand", "a cowboy hat on a hook"])
def test_a_person_word_before_an_object_names_no_person(prompt: str) -> None:
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


@pytest.mark.parametrize("prompt", ["1girl 3girls", "a Afghans a Afghans 0 year oldher", "a 3-year-old toddler"])
def test_words_that_would_run_together_in_a_candidate_stay_closed(prompt: str) -> None:
    assert_closed(prompt, seed=0)


def test_a_child_noun_next_to_a_child_age_stays_as_written() -> None:
    cset = build_candidate_set("a 3-year-old toddler splashing in a puddle", seed=0)
    assert all("toddler" in c for c in cset.candidates)
    assert not any("15-year-old infant" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("mom braiding her daughtér's hair", "daughter"),
        ("a woman in her 30ѕ drinking coffee", "30s"),
        ("a boy agéd 5 building a sandcastle", "aged 5"),  # an accent inside a form of two words
        ("a 14 yëar old girl practicing ballet", "14 year old"),  # a longer form than "old" read inside it
        ("a 40 yëar old woman", "40 year old"),
    ],
)
def test_an_accent_before_a_possessive_and_a_look_alike_next_to_digits_are_read(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and word in cset.true_prompt
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["Ingeborg", "portrait of Priya", "Jamal smiling", "his first birthday"])
def test_a_decoy_name_or_number_is_read_wherever_the_users_is(prompt: str) -> None:
    # hand-listed names pair with hand-listed ones (read anywhere), generated with generated
    assert_closed(prompt, seed=0)


def test_a_spelled_ordinal_without_spelled_partners_keeps_its_number_in_digits() -> None:
    # 2 shares its row with 55 and 65, which have no spelled ordinal in the taxonomy
    assert build_candidate_set("her second birthday", seed=0).true_prompt == "her 2nd birthday"


@pytest.mark.parametrize("prompt", ["his first birthday", "her twenty-first birthday", "grandma's seventieth birthday"])
def test_round_birthdays_written_in_words_stay_in_words(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt and not any(c[0].isdigit() for c in " ".join(cset.candidates).split())
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["un paisaje de montañas nevadas al amanecer", "un chico joven con una chaqueta de cuero"]
)
def test_short_words_shared_with_english_do_not_hide_another_language(prompt: str) -> None:
    from obclip.privacy import language_of

    assert language_of(prompt) is not None  # "un", "de", "con" are on the English list too


def test_english_with_rare_style_words_is_read() -> None:
    from obclip.privacy import language_of

    assert language_of("hyperrealistic portrait, octane render, cinematic lighting, bokeh, artstation") is None


CHILD_STYLES = [
    "a {n}-year-old {noun} building a robot",
    "a {n} year old {noun} building a robot",
    "a {w}-year-old {noun} building a robot",
    "a {noun}, {n} years old, building a robot",
    "a {noun} aged {n} building a robot",
    "portrait of a {noun} turning {n}",
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    age=st.integers(1, 17),
    style=st.sampled_from(CHILD_STYLES),
    noun=st.sampled_from(["girl", "boy", "kid"]),
    seed=st.integers(0, 2**32),
)
def test_every_child_age_the_user_writes_is_kept_and_decoys_use_its_style(
    age: int, style: str, noun: str, seed: int
) -> None:
    prompt = style.format(n=age, w=_spell(age), noun=noun)
    cset = build_candidate_set(prompt, seed=seed)
    assert _article_free(cset.true_prompt) == _article_free(prompt)  # the written age, its style, the noun
    assert detect(cset.true_prompt).true_values == detect(prompt).true_values
    if "{n}" in style:  # every decoy writes its own age in the user's style
        shape = re.escape(_article_free(prompt)).replace(str(age), r"\d+(?: months)?").replace("year", "(?:year|month)")
        shape = shape.replace(noun, r"[\w -]+?")  # the noun varies with its own attribute
        assert all(re.fullmatch(shape, _article_free(c)) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=seed)


def _article_free(text: str) -> str:
    return re.sub(r"\ban?\b", "a", text)


@pytest.mark.parametrize("months", [6, 9, 18])
def test_an_age_in_months_in_a_row_is_kept(months: int) -> None:
    for prompt in (f"a {months}-month-old baby in a basket", f"a toddler aged {months} months on a rug"):
        cset = build_candidate_set(prompt, seed=0)
        assert _article_free(cset.true_prompt) == _article_free(prompt) and len(cset) > 1
        assert_closed(prompt, seed=0)


def test_child_ages_have_four_values_of_five_years_so_every_year_is_in_a_row() -> None:
    group = ROWS["numbers"]["child_age"]["default"]
    years = sorted(int(n) for row in group["blocks"] for n in row[1:])
    assert years == list(range(3, 18))
    assert {str(n) for row in group["blocks"] for n in row[:1]} >= {"1", "2"}
