"""People as records, reports and profiles describe them: ages written as ranges ("seeking an
actress, 20-25", "aged 25-30"), "male" and "female" used as nouns before an age ("hispanic male
approx 25-30 yrs"), self tags of dating and profile prompts ("34M", "F/34", "40s m"), ages in
brackets with other words ("me (32, she/her)"), a form's fields ("Sex: M", "Race: White"), and the
places a plural possessive says whom they are for ("the men's room door"). Each had been read
wrongly; the words next to them that say something else stay read as they were."""

from __future__ import annotations

import re

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set

_RANGE = re.compile(r"(\d{1,3})(\s?(?:-|–|to)\s?)(\d{1,3})")


@pytest.mark.parametrize(
    ("prompt", "written"),
    [
        ("seeking a mixed-race actress, 20-25, for a period drama, headshot", "20-25"),
        ("a man aged 25-30 in a grey coat", "aged 25-30"),
        ("a man aged 25 to 30 in a suit", "aged 25 to 30"),
        ("a woman, 20 - 25, reading", "20 - 25"),
        ("a 40-45 year old woman reading on a train", "40-45 year old"),
        ("male, 45-50 years old, brown hair, police sketch", "45-50 years old"),
        ("she is 30 to 35, standing by the window", "30 to 35"),
        ("casting notice: seeking extras, men 18-30, any background", "18-30"),
        ("roller derby team, women aged 22 to 58, huddled before a bout", "aged 22 to 58"),
    ],
)
def test_an_adult_age_range_varies_whole_and_keeps_its_width(prompt: str, written: str) -> None:
    """The range had gone out in clear ("20-25"), or its lower bound alone had varied beside the
    upper one ("aged 70 to 30"), or the "old" after it ("a 40-45 year young man"). Every candidate
    now renders its own lower bound and the user's width, and the user's own candidate is the
    prompt as written."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.candidates[cset.true_index] == prompt
    assert len(cset) > 1 and not all(written in c for c in cset.candidates), cset.candidates
    lower, _, upper = _RANGE.search(written).groups()  # type: ignore[union-attr]
    width = int(upper) - int(lower)
    ranges = set()
    for candidate in cset.candidates:
        found = _RANGE.search(candidate)
        assert found is not None, candidate
        assert int(found.group(3)) - int(found.group(1)) == width, candidate
        ranges.add(found.group())
    assert len(ranges) > 1, cset.candidates  # the bounds themselves vary
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "a boy aged 8-10 flying a kite",  # a child's range: as before
        "a 100-150 year old barn in a field",
        "a man holding a 25-30 sign at a rally",
        "a woman, 25-30%, chart",
    ],
)
def test_a_range_that_is_no_adults_age_is_no_range_slot(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    found = _RANGE.search(prompt)
    assert found is not None
    assert all(found.group() in c for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("asian male approx 25-30 yrs, slim build", "male"),
        ("suspect: white female 40s, red jacket", "female"),
        ("hispanic male, 30s, goatee, police sketch", "30s"),
        ("male, 45 years old, brown hair", "45"),
        ("age 30, female, brown hair", "age 30"),
        ("suspect is described as a white male in his 40s with a shaved head", "white"),
        ("a black female in her mid 30s, ID photo", "black"),
        ('police BOLO notice, "female, approx 5\'4, 25-30, mixed race, braids"', "25-30"),
        ("school yearbook staff page, a bald male principal, 1992", "male"),
    ],
)
def test_male_and_female_as_records_write_a_person_are_read_with_their_age(prompt: str, word: str) -> None:
    """ "male" before an age had been read as modifying the number ("male approx": N = 1), and an
    age beside a gender tag as no one's ("male, 45 years old": the age in clear)."""
    assert_varied(prompt, word)


def test_a_gender_adjective_before_a_count_or_a_size_stays_an_adjective() -> None:
    cset = build_candidate_set("a female 30 pin connector on a workbench", seed=0)
    assert len(cset) == 1


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("me (32, she/her) and my wife on our wedding day", "32"),
        ("Bumble pics: me (27, guy, 6'1) playing guitar at a bonfire", "27"),
        ("family portrait: me (dad, 41), my wife and our son", "41"),
        ("me at 20 vs me now at 65, side by side", "65"),
        ("me at 90 — what would I look like? I'm a man with short twists", "90"),
        ("me and my boyfriend in Paris, we're both 29, eiffel tower at night", "29"),
    ],
)
def test_the_users_age_among_other_words_is_read(prompt: str, age: str) -> None:
    assert_varied(prompt, age)


@pytest.mark.parametrize(
    "prompt",
    [
        "a baby changing station sign on the men's room door, airport",
        "the women's ward of an abandoned asylum, rusted bed frames",
        "men's restroom icon, minimalist, blue circle, vector",
        "a boys' school building at dusk",
        "police car with a Ladies Night flyer under the wiper",
        'a "little sister" onesie on a clothesline, pastel',
        "boy shorts underwear flat lay, pastel colors",
        "tomboy style outfit flat lay: baggy cargo pants, band tee",
        "Boy Scout handbook on the dashboard of an abandoned car, evidence photo",
        "a teen vogue magazine cover with no model",
    ],
)
def test_a_place_or_goods_for_men_or_women_shows_no_one(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("the girls' school choir singing in the hall", "girls"),
        ("the men's room, a man washing his hands", "man"),
        ("the women's team celebrating a goal", "women"),
    ],
)
def test_persons_beside_a_facility_are_still_read(prompt: str, word: str) -> None:
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "pairs"),
    [
        ("my bf (29M) and I (27F) hiking", {"boyfriend": "male", "girlfriend": "female"}),
        ("me (34m) and my wife (31f) at the beach", {"wife": "female", "husband": "male"}),
    ],
)
def test_an_age_and_sex_in_brackets_after_a_person_word_is_that_persons(prompt: str, pairs: dict[str, str]) -> None:
    """ "(29M)" after "my bf" had been a second person's: "my boyfriend (78-year-old female)"."""
    cset = build_candidate_set(prompt, seed=0)
    for candidate in cset.candidates:
        found = re.search(r"\b(" + "|".join(pairs) + r") \(\d+-year-old (female|male)\)", candidate)
        assert found is not None and pairs[found.group(1)] == found.group(2), candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("witness sketch of a heavyset man in his late 50s, white, thinning hair", "white"),
        ("Professional headshot, 62-year-old man (me), white, silver hair, charcoal suit", "white"),
        ('witness statement, "a tall woman with a cane and a boy of about ten", pencil sketch', "ten"),
    ],
)
def test_a_tag_after_a_persons_age_or_me_and_an_age_before_a_quote_are_read(prompt: str, word: str) -> None:
    assert_varied(prompt, word)


@pytest.mark.parametrize("prompt", ["a woman in a red dress, white, flowing", "a 1950s car, white, chrome"])
def test_a_colour_tag_after_a_thing_stays_a_colour(prompt: str) -> None:
    assert all("white" in c for c in build_candidate_set(prompt, seed=0).candidates)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("ID card photo, Sex: M, DOB: 1985, Nationality: Nigerian", "male"),
        ("missing person, Sex: F, Age: 16, Race: White, Height: 5'4", "White"),
    ],
)
def test_a_forms_fields_of_sex_and_race_are_read(prompt: str, word: str) -> None:
    """ "Sex: M" and "Race: White" had gone out in clear: no word list holds a letter for a sex, and
    a colour word is a people's only beside a person."""
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    "prompt",
    [
        "Welsh male voice choir rehearsing in a chapel, men aged 40 to 90, hymn books",
        "child emperor Puyi on the Dragon Throne, Forbidden City, 1909, age 3, oversized robes",
        "child monk in maroon robes laughing with a puppy, Bhutan, candid travel photo",
        "1boy, (dark-skinned male:1.3), (white hair:1.1), armor, sword, red eyes",
        "1girl, dark skin, boxing gloves, sports bra, boxing ring, muscular female",
    ],
)
def test_prompts_read_before_the_rules_of_records_are_still_hidden(prompt: str) -> None:
    """Each of these was read and closed before the round; a first version of its rules refused
    them ("aged 40 to 90" with a decoy "aged 70 to 90" read as a range, "an adult emperor" as an
    age adjective) or raised an AttributeError ("male:1.3)": a gender tag with no comma after)."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert_closed(prompt, seed=0)
