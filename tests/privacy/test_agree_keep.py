"""Agree and keep: every candidate agrees with itself, the user's own prompt keeps its age
category, person count and names (the device draws `device_prompt`), person-free prompts are not
varied, and closure holds for prompts with hostile characters, names, groups, tags and weights."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed, count

from obclip.privacy import build_candidate_set, candidate_count, default_taxonomy, detect
from obclip.privacy.normalize import normalize_text
from obclip.view import cloud_view


def ages_in(text: str) -> list[float]:
    """Ages in years ("18 months old" is 1.5)."""
    return [
        int(n) / (12 if unit == "month" else 1)
        for n, unit in re.findall(r"\b(\d{1,3})[- ](year|month)s?[- ]old\b", text)
    ]


@pytest.mark.parametrize(
    "prompt",
    [
        "a 9-year-old boy flying a kite",
        "a girl, 7, smiling at the camera",
        "a boy of about six in a sandbox",
        "portrait of a 16-year-old girl, studio light",
        "a 6-month-old baby asleep",
    ],
)
def test_a_child_stays_a_child_in_every_candidate(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        assert all(age < 18 for age in ages_in(candidate)), candidate
    assert all(age < 18 for age in ages_in(cset.true_prompt))


@pytest.mark.parametrize("prompt", ["a young girl picking flowers", "a 20-year-old girl", "teenage boys skating"])
def test_a_child_word_keeps_its_adult_age_words_as_written(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    adult = re.compile(r"(?<![\w-])(old|elderly|middle-aged|senior|75-year-old|45-year-old)(?![\w-])")
    assert not any(adult.search(c) for c in cset.candidates), cset.candidates
    assert "gender" in {a.kind for a in cset.attributes}


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [
        ("a 9-year-old boy flying a kite", "9-year-old"),
        ("portrait of Fatima in a garden", "Fatima"),
        ("Grandma Rose baking bread", "Rose"),
        ("3girls, beach, sunset", "3girls"),
        ("a woman, 45, reading", "45"),
        ("an old man, 50 y/o", "50-year-old"),
    ],
)
def test_the_device_draws_the_users_own_words(prompt: str, kept: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert kept in cset.device_prompt
    assert cset.device_text == cset.device_prompt == normalize_text(prompt)
    # never on the wire: not in any candidate's public description, not in the repr
    assert "device_prompt" not in cset.public_dict()
    assert "device_prompt" not in repr(cset)


def test_booru_counts_are_never_changed() -> None:
    cset = build_candidate_set("3girls, 1boy, beach", seed=0)
    assert cset.true_prompt == "3girls, 1boy, beach"
    assert {c.split(",")[0] for c in cset.candidates} == {"3girls", "3boys", "1boy 2girls"}
    assert {c.split(",")[1].strip() for c in cset.candidates} == {"1girl", "1boy"}


@pytest.mark.parametrize(
    ("prompt", "mixed"),
    [
        ("two women walking arm in arm on a beach", "two men and women walking arm in arm on a beach"),
        ("2boys, holding hands, rooftop", "1boy 1girl, holding hands, rooftop"),
        ("three brothers fishing off a dock", "three brothers and sisters fishing off a dock"),
        ("a crowd of schoolgirls on a field trip", "a crowd of schoolboys and schoolgirls on a field trip"),
    ],
)
def test_couples_and_groups_vary_over_every_gender_mix(prompt: str, mixed: str) -> None:
    # a couple or group always of one mix tells the cloud its make-up (for a couple, the orientation)
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert mixed in cset.candidates
    assert len(cset) == 3
    for member in cset.candidates:  # closed: every member yields the same set
        assert set(build_candidate_set(member, seed=0).candidates) == set(cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "other"),
    [
        ("orc chieftain and his sons riding wargs across the steppe", "orc chieftain and his daughters riding"),
        ("her two daughters on a swing, summer", "her two sons on a swing"),
        ("with her husband at the beach, sunset", "with her wife at the beach"),
        # a pronoun before a comma is no possessive: "to her, female judge" stays one person
        (
            "courtroom sketch, his lawyer whispering to him, female judge looking over her glasses",
            "courtroom sketch, her lawyer whispering to her, male judge",
        ),
    ],
)
def test_a_possessive_pronoun_before_its_person_is_the_unnamed_owners(prompt: str, other: str) -> None:
    """A possessive pronoun that no person of its kind comes before, right before a person noun,
    is the owner's ("orc chieftain and his sons": no taxonomy word names the chieftain), never the
    noun's own: the two vary apart (bound to the noun, "his sons" went out as "her daughters" only,
    a group whose mix with its father never changed)."""
    cset = build_candidate_set(prompt, seed=0)
    assert any(c.startswith(other) for c in cset.candidates), cset.candidates
    for member in cset.candidates:
        assert set(build_candidate_set(member, seed=0).candidates) == set(cset.candidates)


def test_groups_listed_without_commas_are_two_groups() -> None:
    """ "men women and kids": two groups of one attribute side by side are a list whose commas are
    left out, each varied over every mix ("women men", "men men"), not one group whose slots agree;
    "a mother daughter duo" stays one pair."""
    cset = build_candidate_set("crowd of football ultras, men women and kids, flares", seed=0)
    groups = {c.split(", ")[1].rsplit(" and ", 1)[0] for c in cset.candidates}
    assert {"men women", "women men", "men men", "women women"} <= groups
    assert_closed("crowd of football ultras, men women and kids, flares", seed=0)
    assert len(build_candidate_set("a mother daughter duo baking", seed=0)) == 2


def test_one_person_is_never_of_mixed_gender() -> None:
    cset = build_candidate_set("a woman walking with her dog", seed=0)
    assert set(cset.candidates) == {"a woman walking with her dog", "a man walking with his dog"}


@pytest.mark.parametrize(
    "prompt",
    [
        "a lady slipper orchid in a greenhouse",
        "the white king on a chessboard, macro photo",
        "a mother duck with her ducklings on a pond",
        "queen bee on a honeycomb",
        "a street in Florence at night",
        "Paris at night, rain, neon",
        "a landscape by Greg Rutkowski and Alphonse Mucha",
        "Golden Hour, Rose Garden, Summer Vibes",
        "a bridge at dusk, mad max style",
    ],
)
def test_person_free_prompts_are_not_varied(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    "prompt",
    [
        "an antique grandfather clock, product photo",
        "fisherman's wharf in the fog, long exposure",
        "a leather sofa in a gentlemen's club, interior design",
        "a crescent moon with the man in the moon, storybook illustration",
        "a sequined mermaid tail on a mannequin",
        "a granny square blanket on a sofa",
        "baby back ribs on a smoky grill, close up",
        "70s bachelor pad interior, shag carpet",
        "kid leather gloves on an antique table",
        "a black widow spider on a web",
        "a Thai cooking class kitchen, overhead shot",
    ],
)
def test_compound_nouns_with_a_person_word_name_no_person(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


def test_a_person_beside_such_a_compound_is_still_varied() -> None:
    cset = build_candidate_set("a grandfather winding a grandfather clock", seed=0)
    assert set(cset.candidates) == {
        "a grandfather winding a grandfather clock",
        "a grandmother winding a grandfather clock",
    }


@pytest.mark.parametrize(
    ("prompt", "attribute"),
    [
        ("a maid cleaning a hotel room", "gender"),
        ("a handyman fixing a sink", "gender"),
        ("groomsmen at a wedding", "gender"),
        ("a salaryman on a train", "gender"),
        ("a nonna making pasta", "gender"),
        ("a forty-something woman", "age"),
        ("a centenarian smiling", "age"),
        ("portrait of an old man with dark skin", "skin"),
        ("brown-skinned woman, studio portrait", "skin"),
        ("an eldery man feeding pigeons", "age"),
        ("a womn reading", "gender"),
        ("Womans face, close-up", "gender"),
        ("old_man, 1boy, male focus", "gender"),
        ("(old woman:1.3), ((masterpiece))", "age"),
        ("portrait of José smiling", "gender"),
        ("my stepdad fixing a bike", "gender"),
        ("a stepmum and her stepdaughter", "gender"),
        ("an Aussie surfer at the beach", "ethnicity"),
        ("a Canuck hockey player, winter", "ethnicity"),
        ("a Nigerian selling carpets at a market", "ethnicity"),
        ("a Greek widow in black on a doorstep", "ethnicity"),
        ("a grumpy oldtimer at a diner counter", "age"),
        ("a rockstar, 68, on stage", "age"),
        ("cyberpunk woman, half Japanese half Brazilian, neon", "ethnicity"),
        ("young Brazilian capoeira dancer mid kick", "age"),
    ],
)
def test_words_people_write_are_varied(prompt: str, attribute: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert attribute in {a.kind for a in cset.attributes if a.name not in cset.fixed}


@pytest.mark.parametrize("prompt", ["Chloë laughing in the rain", "portrait of Zoë, golden hour", "Anaïs dancing"])
def test_a_first_name_accented_otherwise_than_the_list_is_still_a_name(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert [a.kind for a in cset.attributes] == ["gender"]
    assert len(cset) == 2


def test_other_accented_words_are_no_name() -> None:
    assert len(build_candidate_set("a café in Zürich, Noël lights", seed=0)) == 1


def test_mad_is_never_man() -> None:
    assert len(build_candidate_set("a mad scientist's lab, no people", seed=0)) == 1
    assert detect("mad").attributes == ()


def test_weighted_syntax_stays_fixed_text_in_every_candidate() -> None:
    cset = build_candidate_set(r"(old woman:1.3), [man|woman], ((masterpiece)), BREAK, \(young\) girl", seed=0)
    for candidate in cset.candidates:
        assert candidate.startswith("(") and ":1.3), [" in candidate and "|" in candidate
        assert "((masterpiece)), BREAK, \\(" in candidate


# --- closure for the new kinds of prompt -------------------------------------------------------

HOSTILE = ["\u200b", "\u200d", "\u00ad", "\u202e", "\ufeff", "\u0301", "\u0303"]
LOOK_ALIKE = {"o": "\u043e", "a": "\u0430", "e": "\u0435", "i": "\u0456"}
WORDS = [
    "woman", "man", "old", "young", "girl", "boy", "maid", "butler", "nonna", "grandma", "uncle",
    "Fatima", "José", "Rose", "Bob", "Lucia", "1girl", "2boys", "3girls", "old_man", "mature_female",
    "male focus", "dark-skinned", "brown skin", "9-year-old", "45", "50 y/o", "forty-something",
    "centenarian", "eldery", "womn", "she", "her", "his", "he", "they", "qing", "souk", "Mr.", "Miss",
    "boy's", "boys'",
]  # fmt: skip
FILLER = ["a", "an", "the", "and", "with", "portrait", "of", "by", "smiling", "in", "Paris", "chess", "duck", "solo"]
SYNTAX = [",", "(", ")", ":1.3)", "[", "|", "]", "((", "))", "BREAK", "\\(", "\\)", ".", " "]


@st.composite
def hostile_word(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(WORDS))
    kind = draw(st.sampled_from(["plain", "plain", "invisible", "look_alike", "full_width", "title"]))
    if kind == "invisible" and len(word) > 1:
        at = draw(st.integers(1, len(word) - 1))
        return word[:at] + draw(st.sampled_from(HOSTILE)) + word[at:]
    if kind == "look_alike":
        return "".join(LOOK_ALIKE.get(c, c) for c in word)
    if kind == "full_width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    if kind == "title":
        return word.title()
    return word


@st.composite
def messy_prompts(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(st.one_of(hostile_word(), st.sampled_from(FILLER), st.sampled_from(SYNTAX)), min_size=1, max_size=8)
    )
    text = " ".join(pieces)
    assume(text.strip() and normalize_text(text).strip())
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(prompt=messy_prompts(), seed=st.integers(0, 2**32))
@example(prompt="womn chess", seed=0)  # a typo before an object head is bound as its form is
@example(prompt="1girl 1girl chess", seed=0)  # a tag is a person whatever follows it
@example(prompt="1girl   1girl", seed=0)  # tags apart by any run of spaces are one count tag
@example(prompt="Kendrick and Gracie", seed=0)  # a name that is also a place pairs with its own kind
@example(prompt="Ayşe, a 30-year-old Kenyan woman, with her son", seed=0)  # no partner that reads as a word
@example(prompt="Paris qing", seed=0)  # after a first name, a surname's place: no typo ("Paris King" is none)
@example(prompt="nonna nonna solo an nonna", seed=0)  # "a" or "an" by the value: never what language is read
@example(prompt="woman 2boys 2boys his", seed=0)  # a pair of tags before its pronoun is no alias to leave out
@example(prompt="nonna Bob", seed=0)  # a name that looks like a plural is no object head ("nonno James")
def test_closure_holds_for_hostile_names_groups_tags_and_weights(prompt: str, seed: int) -> None:
    assume(count(prompt) <= 24)
    assert_closed(prompt, seed=seed)
    cset = build_candidate_set(prompt, seed=seed)
    # the user's normalised prompt is what the device draws, and reads to the same template
    assert detect(cset.device_prompt) == cset.template
    assert candidate_count(cset.template) >= len(cset)


def test_a_prompt_in_title_case_names_no_function_or_english_word_as_a_name() -> None:
    cset = build_candidate_set("Portrait Of A Young Nigerian Woman In A Gele, Studio Lighting", seed=0)
    assert {r.word for r in cset.residual} == {"Gele"}
    # a capitalised word inside a sentence in lower case is still told
    assert "Paris" in {r.word for r in build_candidate_set("a woman walking in Paris at night", seed=0).residual}


def test_prompt_syntax_keywords_are_no_name_or_place() -> None:
    cset = build_candidate_set("an old woman in a garden BREAK Monet style AND rain", seed=0)
    words = {r.word for r in cset.residual}
    assert "BREAK" not in words and "AND" not in words
    assert "Monet" in words  # a real name in clear is still told


@pytest.mark.parametrize(
    "prompt",
    ["chaps and chapsa at a pub", "boys Aafke", "she a chaps and women", "a a boys Aafke", "a gals and chaps gramps"],
)
def test_groups_next_to_typos_names_and_pronouns_stay_closed(prompt: str) -> None:
    # two plurals joined by "and" are one group even when a typo kept them apart; a name next to a
    # plural is another person; a pronoun set apart from a group keeps its own (person's) values
    cset = build_candidate_set(prompt, seed=0)
    for member in cset.candidates:
        again = build_candidate_set(member, seed=0)
        assert again == cset and set(again.candidates) == set(cset.candidates)


@pytest.mark.parametrize("emoji", ["\U0001f9d3", "\U0001f475", "\U0001f474"])
def test_an_aged_person_emoji_is_sent_as_the_neutral_person(emoji: str) -> None:
    cset = build_candidate_set(f"{emoji} walking a dog in autumn leaves", seed=0)
    assert all(emoji not in c and "\U0001f9d1" in c for c in cset.candidates)
    assert emoji in cset.device_prompt  # the device draws what the user wrote


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("(teenage bo\u0302y:1.3), skateboard", "bôy"),
        ("2gi\u0300rls, yuri, blanket", "2gìrls"),
        ("an o\u0308ld fisherman mending nets", "öld"),
        ("a father teaching hi\u0308s son to fish", "hïs"),
        ("an e\u0308ldery man feeding ducks", "ëldery"),  # a typo and an accent
        ("an old wo\u0300mn on a porch swing", "wòmn"),
        ("a boy of about si\u0300x chasing bubbles", "sìx"),
        ("mom in her mi\u0300d thirties drinking coffee", "thirties"),
        ("mi\u0300d-forties Korean businesswoman walking", "mìd-forties"),
        # on the word after it: the head that makes "male" a person's is read without its accent
        ("masterpiece, best quality, 1boy, male_focu\u0302s, short_hair, armor", "male"),
    ],
)
def test_an_accent_put_on_a_sensitive_word_does_not_hide_it(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not all(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", c) for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "yours", "other"), [("1woman, garden, roses", "1woman", "1man"), ("1man, night", "1man", "1woman")]
)
def test_a_one_person_tag_in_words_is_varied_in_its_own_form(prompt: str, yours: str, other: str) -> None:
    """'1woman' / '1man' are count tags as '1girl' / '1boy' are, kept in the user's own form."""
    cset = build_candidate_set(prompt, seed=0)
    assert {c.split(",")[0] for c in cset.candidates} == {yours, other}
    assert cset.true_prompt == prompt
    assert_closed(prompt, seed=0)


def test_an_era_after_a_comma_is_no_age() -> None:
    cset = build_candidate_set("teenage skater girl with pink hair, 90s film grain, fisheye lens", seed=0)
    assert len(cset) > 1
    assert all("90s film grain" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "title", "noun"),
    [
        ("Mr. Tanaka, retired salaryman, feeding pigeons", r"M[rs]\.", r"salary(?:wo)?man"),
        ("Mrs. Okafor, a Nigerian widow, at the market", r"M[rs]s?\.", r"widow(?:er)?"),
    ],
)
def test_a_noun_after_a_comma_renames_the_titled_person(prompt: str, title: str, noun: str) -> None:
    """One person: the title and the noun that renames it agree in every candidate."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    pattern = re.compile(rf"({title}) \w+, (?:an? )?(?:\w+ )?({noun})\b")
    for candidate in cset.candidates:
        found = pattern.search(candidate)
        assert found is not None, candidate
        female = found.group(1) in ("Ms.", "Mrs.")
        assert female == (found.group(2) in ("salarywoman", "widow")), candidate


@pytest.mark.parametrize(
    "prompt",
    [
        "in loving memory of Dolores, our abuelita, in her favorite chair with her rosary",
        "portrait of Maria, my mother, in her garden",
        "memorial card for my dad Sean, 1951-2023, an old fisherman in a yellow slicker on his boat",
        # "mother in law" written apart is one word, as "mother-in-law" is ("mother" and a name had varied apart)
        "my late mother in law Fatima, make her picture nicer for the funeral, she wore a white hijab",
    ],
)
def test_a_name_and_the_speakers_kin_or_years_between_are_one_person(prompt: str) -> None:
    """ "Dolores, our abuelita": a name renamed by the speaker's own kin is one person, as "Mr.
    Tanaka, a retired salaryman" is, and so is a name with the years of a life between. Read as
    two, the name, the kin word and the pronouns had varied apart ("Ernesto, our grandmother, in
    his favorite chair")."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == (6 if " old " in prompt else 2)  # two genders (and three ages)
    for candidate in cset.candidates:
        female = re.search(r"\b(?:her|she)\b", candidate) is not None
        assert female == any(w in candidate for w in ("grandmother", "mother", "mom")), candidate
    assert_closed(prompt, seed=0)


def test_a_name_and_another_persons_kin_stay_two_persons() -> None:
    """ "Maria, her mother": "her" names someone else's mother, so the two vary apart."""
    assert len(build_candidate_set("portrait of Maria, her mother, in the garden", seed=0)) == 4


_AGE_WORDS = ("young", "middle-aged", "old")


@pytest.mark.parametrize(
    "prompt",
    [
        "an old man, 80, reading the paper",
        "a young woman aged 25 on a bike",
        "an old fisherman, 70 years old, mending nets",
        "portrait of my old grandma turning 90",
        # a tag list's one character: a bare number tag beside the age word had gone out in clear
        "1boy, solo, old man, grandfather, birthday, party hat, cake, candles, 90, blowing candles",
    ],
)
def test_two_age_words_of_one_person_agree_in_every_candidate(prompt: str) -> None:
    """An age word and a written age of one person are one attribute: an older age word goes with
    an older age in every candidate, never "a young man, 80"."""
    cset = build_candidate_set(prompt, seed=0)
    assert [a.kind for a in cset.attributes].count("age") == 1
    pairs = set()
    for candidate in cset.candidates:
        word = next(w for w in _AGE_WORDS if re.search(rf"\b{w}\b", candidate))
        number = int(re.findall(r"\b(\d{1,3})\b", candidate)[0])
        pairs.add((number, _AGE_WORDS.index(word)))
    ranks = [rank for _, rank in sorted(pairs)]
    assert len(set(ranks)) == 3 and ranks == sorted(ranks), sorted(pairs)
    assert len({number for number, _ in pairs}) == 3, sorted(pairs)  # the number varies with the word


@pytest.mark.parametrize(
    ("prompt", "pairs"),
    [
        # the newborn's "her", not a second person always of the father's other gender
        (
            "a newborn asleep in a sling on her father's chest",
            {"her father's", "his father's", "her mother's", "his mother's"},
        ),
        ("a toddler hugging his mom", {"his mom", "her mom", "his dad", "her dad"}),
    ],
)
def test_a_pronoun_after_a_person_without_its_attribute_is_that_persons(prompt: str, pairs: set[str]) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert all(any(p in c for c in cset.candidates) for p in pairs), cset.candidates
    for member in cset.candidates:  # closed
        assert set(build_candidate_set(member, seed=0).candidates) == set(cset.candidates)


def test_an_age_noun_and_the_decade_of_its_pronoun_are_one_age() -> None:
    # "a senior in his 60s" had the decoy "a youngster in his 60s": "his" had been another person
    cset = build_candidate_set("a senior in his 60s fishing off a pier", seed=0)
    assert [a.kind for a in cset.attributes].count("age") == 1, cset.template.text
    assert not any("youngster" in c and "60s" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a hip-hop dancer from Senegal, 22, streetwear, flash photo", "22"),
        ("a Christmas card of Grandma Rose, 72, knitting by the fire", "72"),  # after "of" and a name
        ("twin girls, 5, fighting over the last pancake", "5"),  # one age of both twins
        ("a nurse from the Philippines, 34, in scrubs", "34"),
        ("my grandfather in his garden, he is 80", "80"),
        ("my stepdad and my little brother, he's 9, building a treehouse", "9"),  # "he's", as "he is"
        ("an old couple, both 84, on a bench by the sea", "84"),  # the couple's age
        ("old couple (both 84) sharing a thermos of tea", "84"),
        ("the twins, both 5, in matching raincoats", "5"),
        ("toddler twins (2) in matching ducky raincoats jumping in puddles", "2"),  # had gone out in clear
        ("twins, 5, in matching raincoats", "5"),
        ("tattoo artists side by side, mom 52, daughter 27, in a studio", "52"),  # right after the noun
        ("mature woman 55+ skincare ad, minimal makeup", "55"),  # an age and over
        # ... or before a preposition or a participle ("80" and "27", "40" had gone out in clear)
        ("grandad 80 at his allotment with the dog, autumn", "80"),
        ("me 24 and my boyfriend 27 at the beach", "27"),
        ("my wife 38 and me 40 on a ferry", "40"),
        ("a man 40+ in a boxing gym, sweat", "40"),
        ("a lola on her porch. The grandmother is about eighty, tiny, white hair.", "eighty"),  # in words
        ("an old Chinese man doing tai chi. He is around seventy-five, in white.", "seventy-five"),
        ("a young dancer, a girl of maybe twelve, performs the legong", "twelve"),
        ("Señora López, 70, watering plants on her balcony", "70"),
        ("Mrs. Okafor, 60, in her garden", "60"),
        ("portrait of a very old man, 100 years, black and white", "100"),
        # after "who is": "my niece who is 18" had sent "18" in clear
        ("graduation card for my niece who is 18 and going to nursing school, balloons", "18"),
        ("my son, who is 7, on a bike", "7"),
        # the speaker's own age after it is no part of the pronoun's person ("78" had been dropped)
        ("make a pfp of me and my grandpa fishing, he's 78, I'm 10, lake at sunrise", "78"),
        # an ordinal after a person's possessive, the word "birthday" left out
        ("hey can u make a card for my wife's 40th, she loves sunflowers", "40th"),
        ("my nan's 95th!!!! can you make a card with her and all her great-grandkids", "95th"),
        ("happy 90th grandma! balloons and a cake", "90th"),
        # in brackets after a word or two ("he/him" had left "17" in clear)
        ("me (he/him, 17) as a spiderman style hero for my instagram", "17"),
        # the age of a life's end
        ("memorial portrait of my mum, she passed at 58, smiling in her garden", "58"),
        ("my grandpa died at 90 in his sleep, memorial card", "90"),
    ],
)
def test_a_bare_age_after_a_place_or_a_pronoun_is_varied(prompt: str, age: str) -> None:
    """A bare number after the place a person is from ("from Senegal, 22,") or after "he is" is the
    person's age: varied, never sent in clear in every candidate; "the price is 80" is no age."""
    cset = build_candidate_set(prompt, seed=0)
    assert {"age", "child_age"} & {a.kind for a in cset.attributes}
    assert not all(re.search(rf"\b{age}\b", c) for c in cset.candidates)
    assert_closed(prompt, seed=0)
    price = build_candidate_set("the price is 80, a man smiling", seed=0)
    assert all("is 80" in c for c in price.candidates)
    panels = build_candidate_set("comic page, girl 2, boy 3, speech bubbles", seed=0)  # one digit: a label
    assert "age" not in {a.kind for a in panels.attributes}
    for said in ("the price is about eighty, a man smiling", "the woman is about five feet tall"):
        assert [a.kind for a in build_candidate_set(said, seed=0).attributes] == ["gender"], said
    for said in ("my parents' 50th anniversary cake", "the 40th president's portrait"):  # no birthday
        assert len(build_candidate_set(said, seed=0)) == 1, said


@pytest.mark.parametrize(
    ("prompt", "ages"),
    [
        ("my son 12 and my daughter 15", ("12", "15")),  # had been refused: a decoy "my son 7" read as no age
        ("my grandson 14 at the beach", ("14",)),
        ("mom 45 and her son 12", ("45", "12")),
        ("my daughter 8 at her first ballet recital, stage lights", ("8",)),  # "8" had gone out in clear
        ("me 29 with my baby boy 6 months on the sofa", ("29", "6")),  # "6 months" too
    ],
)
def test_a_childs_age_right_after_its_kin_word_is_varied_and_said_bare(prompt: str, ages: tuple[str, ...]) -> None:
    """After a child's kin word a number is an age, of one digit or of months too ("my son 7", "my
    baby boy 6 months"), so every candidate reads back and none is refused; each is sent bare, the
    user's own as written."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    yours = cset.candidates[cset.true_index]
    assert re.findall(r"\b\d+\b", yours) == list(ages), yours
    assert not any(" old" in c for c in cset.candidates), cset.candidates
    assert {"child_age"} <= {a.kind for a in cset.attributes}
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["a boy 12 at the park", "a girl 15 in a hoodie, selfie"])
def test_a_childs_two_digit_age_after_a_plain_noun_is_said_in_full_where_a_decoy_has_one_digit(prompt: str) -> None:
    """After "boy" or "girl" one digit is a label ("girl 2, boy 3"), two are an age: a decoy of one
    digit or of months is written "7 years old", "18 months old", and so is the user's own, so every
    candidate reads back as an age."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert all(re.search(r"\b(?:boy|girl) \d+ (?:years|months) old\b", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_twins_age_and_their_child_noun_are_one_age() -> None:
    # "toddler twins (2)": one variable, so no candidate reads "teen twins (2)"
    cset = build_candidate_set("toddler twins (2) in matching ducky raincoats jumping in puddles", seed=0)
    assert [a.kind for a in cset.attributes] == ["child_age"], cset.template.text


@pytest.mark.parametrize(
    "prompt", ["an old couple, both 84, on a bench by the sea", "old couple (both 84) sharing a thermos of tea"]
)
def test_a_groups_bare_age_is_its_age_word(prompt: str) -> None:
    """The "both 84" after "an old couple" is the couple's age, the one "old" states: one variable, so
    no candidate reads a young couple both 84, or an old couple both 23."""
    cset = build_candidate_set(prompt, seed=0)
    assert [a.kind for a in cset.attributes] == ["age"], cset.template.text
    ages = {re.search(r"([\w-]+) couple\W+both (\d+)", c).groups() for c in cset.candidates}  # type: ignore[union-attr]
    assert {word for word, _ in ages} == {"young", "middle-aged", "old"}, cset.candidates
    for word, number in ages:
        assert {"young": int(number) < 35, "middle-aged": 35 <= int(number) < 65, "old": int(number) >= 65}[word]


@pytest.mark.parametrize(
    ("prompt", "kinds"),
    [
        ("my grandfather in his garden. The old man waters the roses.", ["gender", "age"]),
        ("my daughter eats a cannoli. The girl laughs.", ["gender"]),
        ("a lola naps on her porch. The old woman is about eighty.", ["gender", "age"]),
        ("a young housewife in a pastel kitchen. The woman smiles.", ["age", "gender"]),
    ],
)
def test_the_woman_after_one_grandmother_is_that_grandmother(prompt: str, kinds: list[str]) -> None:
    """ "the woman", "the man", "the girl", "the boy" where no such noun was said before refer
    back to the one person named by another word of their age: one variable each, so no candidate
    reads "a young househusband ... The woman smiles" (a paragraph's "the woman" had been a person
    of its own)."""
    cset = build_candidate_set(prompt, seed=0)
    assert sorted(a.kind for a in cset.attributes) == sorted(kinds), cset.template.text
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "a bride in a red lehenga walking behind the groom, gurdwara",
        "a man on a pier at dawn. The woman in red waves.",
        "an old man on a bench by the sea. The man smiles at a pigeon.",
    ],
)
def test_the_groom_after_a_bride_keeps_the_couples_mix_free(prompt: str) -> None:
    """After a noun of its kind, "the groom" or "the man" stays a person of its own: bound to the
    bride, it would have to be the other gender in every candidate, which tells the cloud the
    couple's mix. Both genders vary apart."""
    cset = build_candidate_set(prompt, seed=0)
    assert [a.kind for a in cset.attributes].count("gender") == 2, cset.template.text
    assert not any(a.differs_from for a in cset.attributes)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "{old man}, aged 80, {long white beard}, rocking chair on a porch",
        "(old man:1.2), aged 80, banjo, appalachian",
        "(old man:1.2), (aged 80:1.1), banjo",
    ],
)
def test_an_age_tag_after_a_weighted_person_is_that_persons(prompt: str) -> None:
    """The brackets and weight of "(old man:1.2)" do not end the person: "aged 80" after it is
    the old man's age, one variable ("a young man, aged 80" and "an old man, aged 30" had been
    decoys)."""
    cset = build_candidate_set(prompt, seed=0)
    assert [a.kind for a in cset.attributes].count("age") == 1, cset.template.text
    for candidate in cset.candidates:
        word, number = re.search(r"([\w-]+) (?:wo)?man\W.*?aged (\d+)", candidate).groups()  # type: ignore[union-attr]
        assert {"young": int(number) < 35, "middle-aged": 35 <= int(number) < 65, "old": int(number) >= 65}[word]


@pytest.mark.parametrize(
    "prompt",
    [
        "an old couple holding hands on a bench, he in a flat cap, she in a raincoat",
        "a couple dancing, he in a suit and she in a red dress, ballroom",
        "a couple dancing, she in a suit and she in a red dress, ballroom",
        "a couple dancing, he in a suit and he in a tuxedo, ballroom",
    ],
)
def test_a_couples_pronouns_vary_its_gender_mix(prompt: str) -> None:
    """Two subject pronouns that each open a clause after "a couple" are its two members: both
    genders vary apart, so the set holds a man and a woman, two women and two men whatever the
    user wrote (one "he" and one "she" in every candidate had told the cloud the couple's mix)."""
    cset = build_candidate_set(prompt, seed=0)
    mixes = {tuple(re.findall(r"\b(he|she)\b", c)) for c in cset.candidates}
    assert mixes == {("he", "she"), ("she", "he"), ("he", "he"), ("she", "she")}, cset.candidates
    assert_closed(prompt, seed=0)
    kept = build_candidate_set("two sisters, she in red, she in blue", seed=0)  # the group's gender
    assert {tuple(re.findall(r"\b(he|she)\b", c)) for c in kept.candidates} == {("he", "he"), ("she", "she")}


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("portrait of a witch, dark fantasy, candles, by brom", "brom"),
        ("an Irish girl in a wool cloak, cliffs of moher, fantasy art", "moher"),
        ("a Hmong girl in festival clothes, new year, sapa", "sapa"),
    ],
)
def test_a_lower_case_proper_noun_is_no_typo(prompt: str, word: str) -> None:
    """An unknown word after an artist marker, right after "of", or alone as a tag is where people
    write a name in lower case ("by brom", "cliffs of moher"): it is sent as written in every
    candidate and in the user's own, never read as "bros", "mother" or "papa"."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all(re.search(rf"\b{word}\b", c) for c in cset.candidates)


def test_a_word_of_the_cue_table_is_no_typo() -> None:
    """A garment the cue table knows ("barong", one edit from "baron") is that garment: it is no
    title in any candidate, and the people's name in "barong tagalog" is the shirt's, sent as its
    neutral form with it."""
    cset = cloud_view("a Filipino man in a white barong tagalog at a wedding in Manila", seed=0)
    assert len(cset) > 1
    titled = [c for c in cset.candidates if re.search(r"\b(baron|baroness|tagalog)\b", c, re.IGNORECASE)]
    assert not titled
    assert all("embroidered shirt" in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a woman walking through a souk, marrakech, warm tones", "souk"),
        ("a tattooed elder with a traditional ta moko, golden hour", "moko"),
    ],
)
def test_a_word_about_as_common_as_the_sensitive_word_it_is_near_is_no_typo(prompt: str, word: str) -> None:
    """A word English text uses nearly as often as the sensitive word one edit away ("souk" and the
    people "Sauk", "moko" and "Moro", wordfreq) is a word of its own: sent as written in every
    candidate and in the user's own, never varied as an ethnicity."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all(re.search(rf"\b{word}\b", c) for c in cset.candidates)
    assert [a.kind for a in cset.attributes].count("ethnicity") == 0


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("family making tamales at a kitchen table, abuela directing, kids spreading masa", "masa"),
        ("Māori kapa haka group performing, men with tā moko, women with poi", "kapa"),
    ],
)
def test_one_letter_put_for_another_in_four_is_no_typo(prompt: str, word: str) -> None:
    """ "masa" and "kapa" are one letter from "mama" and "papa": words of other languages, never read
    as kin (the user's own candidate would say "kids spreading mama")."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(re.search(rf"\b{word}\b", c) for c in cset.candidates)
    assert_closed(prompt, seed=0)


def test_a_capitalised_word_inside_a_phrase_is_a_proper_noun_not_a_typo() -> None:
    """ "Qing" is one edit from "king", but a capital inside a phrase, where "king" is written in
    lower case, makes it a name: the user's "a Qing dynasty emperor" is sent as written, with one
    person (the emperor), not as "a king dynasty emperor" with two. A capital where a phrase starts
    is no such sign: "masterpiece, Womn in red" is still read."""
    cset = build_candidate_set("a Qing dynasty emperor in yellow silk robes, forbidden city", seed=0)
    assert all("a Qing dynasty" in c for c in cset.candidates)
    assert [a.kind for a in cset.attributes] == ["gender"]
    tagged = build_candidate_set("masterpiece, Womn in a red coat, Eldery man beside her", seed=0)
    assert not any(w in tagged.true_prompt for w in ("Womn", "Eldery"))


def test_a_place_near_a_people_is_no_person() -> None:
    assert len(build_candidate_set("spice stalls in a souk at dusk, lanterns, cinematic", seed=0)) == 1


@pytest.mark.parametrize("prompt", ["a yung womn with an eldery man", "cute gurl in a red hat, portrait"])
def test_typos_inside_a_phrase_are_still_read(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not any(w in cset.true_prompt for w in ("yung", "womn", "eldery", "gurl"))


def test_a_number_after_a_group_counts_its_members() -> None:
    cset = build_candidate_set("a Nigerian family of five at christmas dinner, grandma, dad and two kids", seed=0)
    assert all("family of five" in c for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt", ["a 90 year old WWII veteran in his uniform at a memorial", "an elderly native in a village square"]
)
def test_a_person_noun_that_is_an_adjective_too_heads_a_person(prompt: str) -> None:
    """WordNet's person nouns that are adjectives too ("veteran", "native") name the person where
    they end the phrase, so the age before them is varied; "old comics" are comic books."""
    cset = build_candidate_set(prompt, seed=0)
    assert "age" in [a.kind for a in cset.attributes]
    assert len(build_candidate_set("a stack of old comics on a table", seed=0)) == 1


_TAG_GENDER = {
    **{"1girl": "female", "1boy": "male", "woman": "female", "man": "male", "female": "female", "male": "male"},
    **{"geisha": "female", "taikomochi": "male"},
}


@pytest.mark.parametrize(
    "prompt",
    [
        "1girl, solo, woman, red hair, kimono",
        "1boy, solo, old man, smoking, night",
        "1girl, mature female, kimono, garden",
        "masterpiece, 1boy, young man, armor, castle",
        "1girl, a woman in a red coat, rain",
        "1boy, solo, man, beard, woman's scarf on a chair",
        "1girl, dark skin, dark-skinned female, white hair, elf",
        # a modifier standing alone ("mature female") is the subject's, so one noun tag is left
        "1girl, mature female, kimono, geisha, snow",
    ],
)
def test_the_one_person_of_a_tag_list_has_one_gender_in_every_candidate(prompt: str) -> None:
    """A single count tag and the other tag that names a person (every such tag under "solo") are
    one person: "1boy, solo, woman" would tell the user's own candidate from its decoys."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        tags = [t.strip().split()[-1] for t in candidate.split(",")]
        genders = {_TAG_GENDER[t] for t in tags if t in _TAG_GENDER}
        assert len(genders) == 1, candidate
        skins = set(re.findall(r"\b(light|medium|dark)(?: skin|-skinned)\b", candidate))
        assert len(skins) <= 1, candidate  # "dark skin" and "dark-skinned female": one person's skin
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "ages"),
    [
        (
            "2boys, elderly, 80 years old, twins, matching cardigans, porch",
            ("elderly|old|young|middle-aged", r"\d+ years old"),
        ),
        ("3girls, young, 25 years old, beach, volleyball", ("old|young|middle-aged", r"\d+ years old")),
    ],
)
def test_a_groups_count_tag_takes_the_ages_said_in_its_own_tags(prompt: str, ages: tuple[str, str]) -> None:
    """ "2boys, elderly, 80 years old": the two age tags are the group's, one age in every candidate
    (they had been two persons' ages, so decoys read "old, 30 years old")."""
    cset = build_candidate_set(prompt, seed=0)
    word, number = ages
    buckets = {"young": range(18, 35), "middle-aged": range(35, 60), "old": range(60, 130), "elderly": range(60, 130)}
    assert len(cset) > 1
    for candidate in cset.candidates:
        said = re.search(rf"(?:^|, )({word})(?:,|$)", candidate)
        years = re.search(number, candidate)
        assert said is not None and years is not None, candidate
        assert int(years.group().split()[0]) in buckets[said.group(1)], candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "2girls, multiple girls, beach, swimsuits, smile",
        "3boys, multiple boys, basketball uniform, gym",
        "(2girls:1.2), (multiple girls), holding hands, cherry blossoms",
    ],
)
def test_a_multiple_tag_is_the_groups_own_count_tag(prompt: str) -> None:
    """Danbooru tags a group twice ("2girls, multiple girls"): the two agree in every candidate, as
    "2boys, multiple girls" would tell the user's own candidate from its decoys."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        count = re.search(r"\d(girls|boys)\b|1boy \d?girls?|1girl \d?boys?", candidate)
        multiple = re.search(r"multiple (boys and girls|girls|boys)\b", candidate)
        assert count is not None and multiple is not None, candidate
        mixed = " " in count.group()
        assert (multiple.group(1) == "boys and girls") if mixed else multiple.group(1) == count.group(1), candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "pairs"),
    [
        ("solo, old woman, granny, holding dog, pug, cardigan", {"woman": "granny", "man": "granddad"}),
        ("solo, old man, monk, buddhist, orange robe, tiger", {"man": "monk", "woman": "nun"}),
        ("old woman, solo, babushka, headscarf, chickens", {"woman": "babushka", "man": "dedushka"}),
    ],
)
def test_the_person_tags_of_a_solo_list_without_a_count_tag_are_one_person(prompt: str, pairs: dict) -> None:
    """ "solo" says one character: its person tags agree in every candidate ("solo, old man, granny"
    had been a decoy)."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        noun = re.search(r"\b(woman|man)\b", candidate)
        assert noun is not None and pairs[noun.group(1)] in candidate, candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["1girl, woman, old man, park", "1girl, 1boy, woman, beach", "2girls, woman, kimono"]
)
def test_tags_that_may_be_several_persons_are_not_made_one(prompt: str) -> None:
    # two person tags without "solo", two count tags, a plural count: the noun is not tied to the
    # first count tag, so some candidate gives them different genders
    cset = build_candidate_set(prompt, seed=0)

    def first(candidate: str) -> str:
        tag = candidate.split(",")[0]
        return "female" if "boy" not in tag else "male" if "girl" not in tag else "mixed"

    apart = [c for c in cset.candidates if first(c) != _TAG_GENDER[re.findall(r"\b(?:wo)?man\b", c)[0]]]
    assert apart, cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "a band of teenage boys playing in a garage, 80s, punk rock",  # beside another age word
        "portrait of a woman, 90s, film grain",  # no row renders the 80s or 90s: an era
        "1girl, 80's, neon, synthwave",
        "1girl, 1boy, old man, kimono, diner, 50s",  # two characters: no one's age
    ],
)
def test_a_decade_tag_that_is_an_era_is_kept_as_written(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    era = re.search(r"\b\d0['’]?s\b", prompt)
    assert era is not None
    assert all(era.group() in c for c in cset.candidates)
    assert cset.true_prompt == prompt


_DECADE_OF = {"young": ("20s", "30s"), "middle-aged": ("40s", "50s"), "old": ("60s", "70s")}


@pytest.mark.parametrize(
    "prompt",
    [
        "old man, 70s, portrait",
        "an old woman in her 80s knitting",
        "a middle-aged man in his 40s",
        "an old couple in their 70s slow dancing in the kitchen",
        "two old women in their 70s laughing on a bench",
        # the one character of a tag list, the decade a tag of its own anywhere in the list
        "mature_male, 1boy, solo, greying_hair, kilt, bagpipes, highlands, mist, 50s",
        "1girl, solo, 40s, mature, office lady, pencil skirt, coffee, rooftop",
    ],
)
def test_a_decade_of_a_person_with_an_age_word_agrees_with_it(prompt: str) -> None:
    """ "old man, 70s", "an old woman in her 80s" and "an old couple in their 70s": one person's
    (or group's) age, varied together. So is a decade tag beside "solo" and a character's count
    tag ("1girl, solo, 40s, mature"), which had gone out as written beside the varied "mature"."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 2
    for candidate in cset.candidates:
        said = re.search(r"\b(young|middle-aged|old)\b", candidate)
        decade = re.search(r"\b(\d0)s\b", candidate)
        assert said and decade, candidate
        assert decade.group() in _DECADE_OF[said.group()], candidate
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "five partners in their 50s and 60s, boardroom",
        "a woman in her early 40s or 50s, smiling",
        "a couple in their 30s and 40s with their kids",
    ],
)
def test_both_decades_after_one_possessive_are_ages(prompt: str) -> None:
    """ "in their 50s and 60s": the second decade is theirs too, so it is varied, never sent as
    written beside a varied first one."""
    cset = build_candidate_set(prompt, seed=0)
    decades = [tuple(re.findall(r"\b\d0s\b", c)) for c in cset.candidates]
    assert all(len(d) == 2 for d in decades), cset.candidates
    assert len({d[1] for d in decades}) > 1, cset.candidates
    assert_closed(prompt, seed=0)


def test_a_decade_after_and_that_heads_a_noun_is_an_era() -> None:
    assert all("90s music" in c for c in build_candidate_set("a man in his 20s and 90s music", seed=0).candidates)


@pytest.mark.parametrize("prompt", ["child, boy, easter egg hunt, basket, garden", "girl, child, birthday cake"])
def test_a_child_noun_tag_beside_a_childs_noun_tag_is_one_child(prompt: str) -> None:
    """ "child, boy": one child, who keeps the age noun as written; a decoy "adult, boy" would
    disagree with itself."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 2
    assert all(re.search(r"\bchild\b", c) for c in cset.candidates), cset.candidates
    assert {"boy", "girl"} <= {w for c in cset.candidates for w in re.findall(r"\b(?:boy|girl)\b", c)}
    assert_closed(prompt, seed=0)


def test_a_child_noun_tag_beside_a_childs_age_tag_is_one_child() -> None:
    """ "child, toddler": one child; "child" had varied as an adult age apart from the toddler
    ("1girl, solo, adult, preschooler")."""
    prompt = "1boy, solo, child, toddler, sun hat, beach, sand, bucket, waves"
    cset = build_candidate_set(prompt, seed=0)
    assert all(re.search(r"\bchild\b", c) for c in cset.candidates), cset.candidates
    assert [a.kind for a in cset.attributes] == ["gender", "child_age"]
    assert_closed(prompt, seed=0)
    # tags that count several persons keep them apart: three sisters, one of them a child
    several = detect("3girls, siblings, sisters, age difference, child, teenager, adult, matching outfits, park")
    assert [a.kind for a in several.attributes].count("age") == 2


@pytest.mark.parametrize("prompt", ["mom dad and three kids in matching pajamas", "grandma grandpa and me at the lake"])
def test_two_kin_nouns_side_by_side_vary_over_every_mix(prompt: str) -> None:
    """ "mom dad": two parents, whose mix is varied over every combination; read as one person,
    every candidate had one mother and one father, which told the couple's mix."""
    cset = build_candidate_set(prompt, seed=0)
    pairs = {tuple(c.split()[:2]) for c in cset.candidates}
    assert len(pairs) == 4, pairs
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["(old:1.2) man reading in a library", "an ((elderly)) woman, garden", "[young] man, street"]
)
def test_a_weighted_adjective_and_its_noun_are_one_person(prompt: str) -> None:
    """ "(old:1.2) man": one person, whose age and gender are varied together (N = ages x genders),
    not an age of nobody beside a man."""
    cset = build_candidate_set(prompt, seed=0)
    assert {a.person for a in cset.template.attributes} == {0}, cset.template.text
    assert_closed(prompt, seed=0)


def test_an_artists_title_and_name_before_style_are_left_as_written() -> None:
    """ "Raja Ravi Varma style": an artist; the title had been a slot whose decoy ("Rani Meera
    Varma style") read back as an artist, so the set was not closed."""
    prompt = "Raja Ravi Varma style painting of a woman on a swing, palace garden"
    cset = build_candidate_set(prompt, seed=0)
    assert all(c.startswith("Raja Ravi Varma style painting of a ") for c in cset.candidates)
    assert len(cset) > 1
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("Ottoman sultan in a fur-lined kaftan, oil painting", "Ottoman"),
        ("Merovingian queen in a gold-threaded veil, illuminated manuscript", "Merovingian"),
        ("1girl, oiran, kimono, kanzashi, geta, lantern", "oiran"),
        ("1girl, hanbok, joseon, gisaeng, gayageum, pavilion", "gisaeng"),
        ("Ukrainian babusya carrying kutia to the table", "babusya"),
        ("elderly museum guard asleep on his chair in front of a Rubens", "elderly"),
        ("1boy, solo, track suit, gold chain, squatting, slav, three stripes", "slav"),
        ("Vietnamese nail tech painting tiny daisies with a dotting tool", "Vietnamese"),
    ],
)
def test_words_of_period_art_kin_and_trades_are_varied(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["a woman resting her feet on a velvet ottoman", "a man on an ottoman, reading"])
def test_an_ottoman_in_lower_case_is_furniture(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all("ottoman" in c for c in cset.candidates), cset.candidates


def test_a_title_and_the_noun_after_the_are_one_person() -> None:
    """ "Mr. Carson the butler": one person, so no candidate reads "Mr. Carson the maid"."""
    prompt = "Mr. Carson the butler polishing silver in the pantry"
    cset = build_candidate_set(prompt, seed=0)
    assert {(c.split()[0], c.split()[3]) for c in cset.candidates} == {("Mr.", "butler"), ("Ms.", "maid")}
    assert_closed(prompt, seed=0)


def test_a_name_and_the_noun_after_the_are_one_person() -> None:
    prompt = "Emma the waitress carrying three plates"
    cset = build_candidate_set(prompt, seed=0)
    pairs = {(c.split()[0], c.split()[2]) for c in cset.candidates}
    assert len(pairs) == 2 and ("Emma", "waitress") in pairs and {w for _, w in pairs} == {"waitress", "waiter"}
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("(kid:1.2) about six dressed as a little pharaoh for a school play", "six"),
        ("a girl around 6 dressed as a pharaoh", "6"),
        ("(woman:1.2), 45, office, window light", "45"),
        ("a woman around 40 by the window", "40"),
        # before a verb in the present
        ("A Ukrainian girl of about eight stands in a field of wheat", "eight"),
        ("a boy of six plays chess", "six"),
    ],
)
def test_a_bare_age_after_a_weighted_noun_or_before_a_participle_is_varied(prompt: str, age: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert not all(re.search(rf"\b{age}\b", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_a_number_before_a_noun_is_still_a_count() -> None:
    assert all("over 70 countries" in c for c in build_candidate_set("a man over 70 countries", seed=0).candidates)
    assert all("of 70 countries" in c for c in build_candidate_set("a man of 70 countries", seed=0).candidates)
    assert len(build_candidate_set("a collector of 70 stamps", seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "pair"),
    [
        # a possessive after "his daughter on": the first possessive's, the father's
        ("a refugee father carrying his daughter on his shoulders", r"(father|mother) .*?(son|daughter)"),
        ("a mother holding her son in her arms, soft window light", r"(father|mother) .*?(son|daughter)"),
        # an object pronoun right after a person and a verb or preposition is not that person's
        ("man with ALS using an eye-tracking tablet, his wife beside him", r"(man|woman) .*?(wife|husband)"),
        ("an old man in a wheelchair, his granddaughter pushing him", r"(man|woman) .*?(granddaughter|grandson)"),
        # and after a person, a verb and a preposition ("laughing beside him", not "laughing beside herself")
        ("a boy feeding goats, his mom laughing behind him", r"(boy|girl) .*?(mom|dad)"),
        (
            "a grandpa asleep in his chair, his granddaughter sitting next to him",
            r"(grandpa|grandma) .*?(granddaughter|grandson)",
        ),
        ("a man holding a cat, his wife leaning on him", r"(man|woman) .*?(wife|husband)"),
        # ... "across from", "to" and the like
        ("a man pouring wine, a Japanese woman laughing across from him", r"(man|woman) .*?(woman|man) laughing"),
        (
            "an old man and a young woman sharing a bench, she reads to him",
            r"an? \S+ (man|woman) and an? \S+ (woman|man) sharing",
        ),
        # ... and after "who", an auxiliary and the verb
        ("the girl with headphones ignoring the boy who keeps poking her", r"the (girl|boy) .*?the (boy|girl)"),
        # a possessive that continues a list of what one person has ("her dad, her grandmother")
        ("a girl in cap and gown hugging her dad, her grandmother crying", r"(girl|boy) .*?(dad|mom)"),
        ("a woman opening a gift, her mother-in-law and her best friend leaning in", r"(woman|man) .*?(mother|father)"),
        (
            "a soldier kneeling to hug his two little kids, his wife running toward them",
            r"hug (his|her) .*?(wife|husband)",
        ),
        # a possessive before a part of the body one rests on, after "<person> [word] on"
        ("a market woman with a basket, a schoolboy asleep on her shoulder", r"(woman|man) .*?(schoolboy|schoolgirl)"),
        (
            "a grandmother knitting while her grandson sleeps on her lap",
            r"(grandmother|grandfather) .*?(grandson|granddaughter)",
        ),
    ],
)
def test_a_pronoun_the_clause_gives_to_the_first_person_leaves_the_pairs_mix_free(prompt: str, pair: str) -> None:
    """ "a father carrying his daughter on his shoulders": the last "his" is the father's by the
    shape of the clause. Bound to the nearest person, it disagreed with the daughter, so every
    candidate had to keep the two of other genders (always one father and one daughter, or one
    mother and one son), which told the cloud the pair's mix."""
    cset = build_candidate_set(prompt, seed=0)
    mixes = {re.search(pair, c).groups() for c in cset.candidates}  # type: ignore[union-attr]
    assert len(mixes) == 4, cset.candidates
    assert_closed(prompt, seed=0)


def test_a_person_after_a_possessive_and_a_verb_of_giving_is_a_person() -> None:
    """ "teaching his granddaughter chess": the granddaughter is taught the game, no modifier of a
    thing ("a baby koala"); she had gone out in clear in every candidate."""
    cset = build_candidate_set("grandpa teaching his granddaughter chess on a park bench", seed=0)
    assert {c.split()[3] for c in cset.candidates} == {"granddaughter", "grandson"}, cset.candidates
    assert_closed("grandpa teaching his granddaughter chess on a park bench", seed=0)
    doll = build_candidate_set("a girl hugging her baby doll", seed=0)
    assert all("baby doll" in c for c in doll.candidates)


@pytest.mark.parametrize(
    "prompt", ["snowboarder girl, 19 y/o, sitting on the chairlift", "a boy 19 y/o on a skateboard"]
)
def test_an_age_tag_right_after_a_person_noun_is_that_persons_age(prompt: str) -> None:
    """ "girl, 19 y/o" is one person: the adult age beside a child noun stays as written, as in "a
    19-year-old girl"; read as a second person's, it had been varied into "girl, 99-year-old"."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 2 and all("19-year-old" in c for c in cset.candidates)
    assert_closed(prompt, seed=0)


def test_a_pronoun_before_a_verb_with_its_object_is_an_object_pronoun() -> None:
    prompt = "a schoolgirl with huge eyes and a boy behind her holding an umbrella"
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 4 and not any("behind his" in c for c in cset.candidates)
    assert {c.split(" behind ")[1].split()[0] for c in cset.candidates} == {"her", "him"}
    assert all(
        "her wedding dress" in c or "his wedding dress" in c
        for c in build_candidate_set("a woman in her wedding dress", seed=0).candidates
    )


@pytest.mark.parametrize(
    "prompt",
    ["father and daughter duck hunting in a blind before sunrise", "grandpa and grandson bass fishing at dawn"],
)
def test_a_pair_of_persons_before_an_animals_pursuit_are_persons(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 4 and any(prompt.split()[0] not in c for c in cset.candidates)
    assert build_candidate_set("a mother bear fishing in a river", seed=0).candidates == (
        "a mother bear fishing in a river",
    )


@pytest.mark.parametrize(
    ("prompt", "kin"),
    [
        ("caricature of a Russian grandfather ice fishing with a thermos", "grandfather"),
        ("finnish grandma ice swimming in a frozen lake, steam rising", "grandma"),
    ],
)
def test_a_kin_word_before_a_thing_and_a_sport_does_the_sport(prompt: str, kin: str) -> None:
    """Read as a modifier of "ice", the kin word and the people's word had gone out in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert any(kin not in c for c in cset.candidates)
    assert build_candidate_set("a mother duck swimming in a pond", seed=0).candidates == (
        "a mother duck swimming in a pond",
    )


@pytest.mark.parametrize(
    "prompt",
    [
        "comic strip, a husband and wife arguing over the thermostat, he's in shorts and she's in a blanket",
        "a man and a woman on a bench, he reads and she sleeps",
    ],
)
def test_two_subject_pronouns_after_a_pair_speak_of_it_in_order_and_the_mix_varies(prompt: str) -> None:
    """Bound to the nearest person, "he" and "she" had kept the pair mixed in every candidate:
    the cloud learnt the couple's make-up."""
    cset = build_candidate_set(prompt, seed=0)
    mixes = {(c.count("he's") + c.count(" he "), c.count("she's") + c.count(" she ")) for c in cset.candidates}
    assert len(cset) == 4 and len(mixes) == 3
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "pair", "mixes"),
    [
        (
            "two teenage girls and their little brother building a snowman, the girls are arguing, he's eating snow",
            r"little (brother|sister) .*? the (boys and girls|girls|boys) are",
            6,
        ),
        (
            "the widow in black in an armchair, her adult sons telling stories around her",
            r"(widow|widower) .*? (sons and daughters|sons|daughters)",
            6,
        ),
        (
            "indian bride surrounded by her sisters putting mehndi on her hands",
            r"(bride|groom) .*? on (her|his) hands",
            2,
        ),
    ],
)
def test_a_pronoun_of_one_person_passes_over_a_plural_to_the_person_before(prompt: str, pair: str, mixes: int) -> None:
    """ "he" after "the girls" speaks of the brother: bound to the nearest gender word by its value,
    it had disagreed with the girls, so the brother was never one of the boys in any candidate."""
    cset = build_candidate_set(prompt, seed=0)
    found = {re.search(pair, c).groups() for c in cset.candidates}  # type: ignore[union-attr]
    assert len(found) == mixes, sorted(cset.candidates)
    assert_closed(prompt, seed=0)


def test_a_pronoun_after_a_plural_with_no_person_before_it_is_the_groups() -> None:
    cset = build_candidate_set("a group of teenage boys on a ramp, one filming on his phone", seed=0)
    groups = {re.search(r"group of \S+ (boys and girls|boys|girls)", c).group(1) for c in cset.candidates}  # type: ignore[union-attr]
    assert groups >= {"boys", "girls"}, cset.candidates
    assert all(("boys" in c) == (" his " in c) for c in cset.candidates), cset.candidates


def test_a_possessive_after_a_pronoun_of_its_kind_stays_that_pronouns() -> None:
    cset = build_candidate_set("she hugs her dog while her little brother laughs, backyard", seed=0)
    pairs = {re.match(r"(she|he) hugs (her|his) dog", c).groups() for c in cset.candidates}  # type: ignore[union-attr]
    assert pairs == {("she", "her"), ("he", "his")}, cset.candidates


@pytest.mark.parametrize(
    "prompt",
    ["make it so the girl is holding a puppy instead of the cat, shes like 10", "my son, he's like 5, in a cape"],
)
def test_an_age_after_a_pronoun_and_like_is_that_persons(prompt: str) -> None:
    """Chat requests say "shes like 10" for "about 10": the age had gone out in clear."""
    number = re.search(r"like (\d+)", prompt).group(1)  # type: ignore[union-attr]
    cset = build_candidate_set(prompt, seed=0)
    assert not all(f"like {number}" in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_two_gender_words_each_before_its_own_person_are_two_persons() -> None:
    """ "female teacher, male students": the first phrase ends at "teacher", so the two are not one
    person whose gender words must differ (which kept the teacher and the students of other
    genders in every candidate)."""
    prompt = "1girl, 2boys, female teacher, male students, classroom, chalkboard"
    cset = build_candidate_set(prompt, seed=0)
    pairs = {re.search(r"(female|male) teacher, (female|male) students", c).groups() for c in cset.candidates}  # type: ignore[union-attr]
    assert len(pairs) == 4, cset.candidates
    assert_closed(prompt, seed=0)


def test_a_pair_before_a_pursuit_of_animals_is_read_through_an_accent() -> None:
    """ "an Inuit fathèr and son ice fishing": an accent put on "father" had made the pair the kin of
    the fish, and "Inuit", "father" and "son" went out in clear."""
    prompt = "an Inuit fathe\u0300r and son ice fishing, the boy pulling up a fish"
    cset = build_candidate_set(prompt, seed=0)
    assert not all("Inuit" in c for c in cset.candidates)
    assert not all("son" in c.split() for c in cset.candidates)
    assert_closed(prompt, seed=0)


def test_a_second_kin_noun_of_its_category_is_another_person() -> None:
    """ "mom is filipina, dad is german": "dad" after the comma had been read as a second word of the
    mom, whose two parent nouns then differed in every candidate (a mixed couple in every one)."""
    prompt = "generate an image of my parents renewing their vows, mom is filipina, dad is german"
    cset = build_candidate_set(prompt, seed=0, max_candidates=64)
    template = detect(prompt)
    assert {a.name for a in template.attributes} == {"gender_0", "ethnicity_0", "gender_1", "ethnicity_1"}
    assert all(not a.differs_from for a in template.attributes)
    assert len(cset) > 1
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "noun"),
    [
        ("a woman holding a newborn, soft light", re.compile(r"holding an? (\S+), soft light")),
        ("a preteen sitting on a bench", re.compile(r"^an? (\S+) sitting on a bench$")),
        ("a newborn in a crib, soft light", re.compile(r"^an? (\S+) in a crib, soft light$")),
        # opening the prompt or a sentence
        ("newborn sleeping in a cabbage costume, studio", re.compile(r"^(\S+) sleeping in a cabbage costume")),
        ("A crib by the window. Newborn sleeping in it.", re.compile(r"window\. (\S+) sleeping in it")),
    ],
)
def test_an_age_word_used_as_a_noun_is_varied_over_nouns(prompt: str, noun: re.Pattern[str]) -> None:
    """ "newborn", "preteen" and "tween" are adjectives that stand as nouns too. Read as the adjective
    alone, "holding a newborn" had gone out as "holding a teenage" beside the user's "holding a
    newborn": a decoy no one writes, which told the cloud the user's. Standing as nouns, they vary
    over child nouns."""
    lexicon = default_taxonomy().lexicon
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        found = noun.search(candidate)
        assert found is not None, candidate
        entry = lexicon[found.group(1).lower()]
        assert entry.categories & {"child_noun", "child_noun_plural"}, candidate
    assert_closed(prompt, seed=0)


def test_an_age_word_that_is_a_noun_too_stays_the_adjective_before_a_person() -> None:
    assert detect("a newborn baby sleeping").text == detect("a teenage baby sleeping").text
    # a tag of its own is the person's age, an adjective, as before ("teenage," never "teenager,")
    assert detect("1boy, solo, teenage, skateboard").text == "{gender_0:tag_single}, solo, {child_age_0}, skateboard"
    assert detect("newborn photography, studio").attributes == ()
    assert_closed("a newborn baby sleeping", seed=0)
    assert_closed("a preteen kid sleeping", seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "my dad, he is a fisherman in Bohol, strong arms, sunset",
        "make a picture of my tatay, he is fisherman in Bohol",
        "he is a fisherman, his boat is red",
        # modifiers between: words said of him, read or not ("an old fisherman" had varied apart)
        "my dad, he is an old fisherman, on his boat",
        "my dad, he is an old Irish fisherman, on his boat",
        "my dad, he was a retired fisherman in Cork",
    ],
)
def test_a_noun_said_of_a_pronoun_is_its_person(prompt: str) -> None:
    """ "my dad, he is a fisherman": the noun after "he is" says what his person is. Read as a new
    person, it had varied apart from him ("my mom, she is a fisherman")."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    for candidate in cset.candidates:
        male = re.search(r"\bhe\b", candidate) is not None
        assert ("fisherman" in candidate) == male and ("fisherwoman" in candidate) != male, candidate
        if " his " in prompt:  # and the pronoun after them is his
            assert (" his " in candidate) == male, candidate
    assert_closed(prompt, seed=0)


def test_a_pronoun_of_no_person_before_it_keeps_its_later_pronouns() -> None:
    """ "a cat who thinks she's the queen ... her butler": no person word comes before "she", so the
    queen is read forward as before, and "her" stays hers (it had varied apart: "... his butler")."""
    prompt = "comic about a cat who thinks she's the queen of the house, the family dog as her butler"
    for candidate in build_candidate_set(prompt, seed=0).candidates:
        assert ("she's" in candidate) == (" her " in candidate) == ("queen" in candidate), candidate


def test_a_noun_after_a_preposition_is_not_said_of_the_pronoun() -> None:
    """ "she is a fan of fisherman memes": the noun is no predicate of her, and varies apart."""
    cset = build_candidate_set("my sister, she is a fan of fisherman memes", seed=0)
    hers = [c for c in cset.candidates if re.search(r"\bshe\b", c)]
    assert any("fisherman " in c for c in hers) and any("fisherwoman " in c for c in hers), cset.candidates
