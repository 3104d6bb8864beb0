"""Cues that the anonymity counts beyond words of the hand table: a child's things speak of the
child's age, large cities of an ethnicity (GeoNames), a kept first name's pair of its country; and the
figure stays a function of the set (every member shows the same anonymity and notice)."""

from __future__ import annotations

import re

import pytest

from obclip.privacy import CandidateSet, build_candidate_set
from obclip.privacy.correlate import anonymity, apply_policy, generalized, residual_text, revealed
from obclip.privacy.cues import cue_table


def _sent(prompt: str, policy: str | None = None) -> CandidateSet:
    return apply_policy(build_candidate_set(prompt, seed=0), policy=policy, seed=0)


def _same_for_every_member(cset: CandidateSet) -> None:
    for member in cset.candidates:
        again = apply_policy(build_candidate_set(member, seed=0), seed=0)
        assert again == cset and anonymity(again) == anonymity(cset) and again.notice == cset.notice


def test_a_childs_things_speak_of_its_age_and_are_generalised() -> None:
    cset = _sent("a baby sleeping in a crib, soft morning light")
    assert "crib" not in " ".join(cset.candidates)
    assert cset.true_prompt == "a baby sleeping in a bed, soft morning light"
    assert anonymity(cset) == len(cset) == 4
    kept = _sent("a baby sleeping in a crib, soft morning light", policy="keep-cues")
    assert any(r.word == "crib" and r.attribute == "child_age" and r.strength == "strong" for r in revealed(kept))
    assert len(kept) == 1 and "'crib' reveals child_age" in (kept.notice or "")


def test_a_newborn_shoot_speaks_of_the_babys_age_and_is_generalised() -> None:
    cset = _sent("cute baby sleeping on a fluffy blanket, newborn photography, soft pastel")
    assert not any("newborn" in c for c in cset.candidates)
    assert anonymity(cset) == len(cset) == 4  # the child's age is varied, the genre no longer tells it
    assert "newborn photography" in cset.device_prompt
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    "prompt", ["1boy, child, red hair, freckles, missing tooth, striped shirt, grin", "gap-toothed boy"]
)
def test_a_missing_tooth_speaks_of_a_childs_age_and_the_notice_says_so(prompt: str) -> None:
    kept = _sent(prompt, policy="keep-cues")
    assert any(r.strength == "strong" and r.attribute in ("age", "child_age") for r in revealed(kept)), kept.notice
    tooth = re.search(r"missing tooth|gap-toothed", prompt)
    assert tooth is not None and f"'{tooth.group()}' reveals" in (kept.notice or "")


def test_a_large_city_is_a_weak_cue_of_its_countrys_ethnicity() -> None:
    table = cue_table()
    assert {i.values for i in table.implications["mumbai"]} == {frozenset({"indian"})}
    assert "reading" not in table.implications and "nice" not in table.implications  # English words
    cset = _sent("an indian man riding a motorbike in mumbai")
    assert anonymity(cset) == 2 and "'mumbai' suggests indian" in (cset.notice or "")
    _same_for_every_member(cset)


def test_a_kept_name_pair_of_one_country_is_a_weak_cue_of_its_ethnicity() -> None:
    cset = _sent("a European woman named Sakura")
    found = [r for r in revealed(cset) if r.attribute == "ethnicity"]
    assert [(r.values, r.strength) for r in found] == [(("asian",), "weak")]
    user, partner = found[0].word.split("/")
    assert user == "Sakura" and any(c.endswith(f"named {partner}") for c in cset.candidates)  # the pair sent
    assert anonymity(cset) == 2 < len(cset)
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "gone"),
    [
        ("a beautiful woman in a garden, portrait", "beautiful"),
        ("a handsome man with a mohawk", "mohawk"),
        ("a ukrainian girl in a flower crown", "flower crown"),
    ],
)
def test_appearance_words_are_generalised(prompt: str, gone: str) -> None:
    cset = _sent(prompt)
    assert all(gone not in c for c in cset.candidates) and cset.device_text == prompt
    assert anonymity(cset) == len(cset)


@pytest.mark.parametrize(
    ("prompt", "role"),
    [
        ("a fishwife selling herring at a harbour market", "fishwife"),
        ("a matron in a 1940s hospital ward", "matron"),
    ],
)
def test_a_gendered_role_without_a_pair_never_reaches_the_cloud(prompt: str, role: str) -> None:
    """A role word with no counterpart of the other gender is read as its kind's generic noun and
    varied ("a woman" / "a man": WordNet's gender nouns) or, where it is no person word, sent as its
    neutral form; the device draws the user's word either way."""
    cset = _sent(prompt)
    assert not any(role in c for c in cset.candidates) and cset.device_text == prompt
    assert anonymity(cset) == len(cset) >= 2
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    "prompt", ["teenage hijabi fencer removing her mask, olympic arena", "a hijabi model on a runway"]
)
def test_a_word_that_states_gender_and_religion_never_reaches_the_cloud(prompt: str) -> None:
    """'hijabi' says a person is a woman and a Muslim: it is dropped for the cloud, even where the
    set varies nothing, and the device draws the user's word."""
    cset = _sent(prompt)
    assert not any("hijabi" in c for c in cset.candidates) and cset.device_text == prompt
    assert anonymity(cset) == len(cset)
    _same_for_every_member(cset)


def test_a_baby_noun_is_not_sent_so_the_childs_age_stays_varied() -> None:
    """'baby girl' would reveal the age beside it ("a newborn baby girl"): the cloud gets "girl", and
    the age is varied among the child ages with nothing left to reveal it."""
    cset = _sent("a newborn baby girl sleeping")
    assert not any("baby" in c for c in cset.candidates)
    assert {a.kind for a in cset.attributes} == {"child_age", "gender"} and len(cset) == 8
    assert anonymity(cset) == len(cset) and "reveals" not in (cset.notice or "")
    assert cset.device_prompt == "a newborn baby girl sleeping"
    _same_for_every_member(cset)
    kept = _sent("a newborn baby girl sleeping", policy="keep-cues")
    assert set(kept.candidates) == {"a newborn baby girl sleeping", "a newborn baby boy sleeping"}
    assert "reveals child_age" in (kept.notice or "") and anonymity(kept) == len(kept)


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a biracial woman with curly hair, portrait", "woman with curly hair, portrait"),
        ("portrait of a mixed-race teenage boy", "portrait of a teenage boy"),
        ("an interracial couple walking on the beach", "a couple walking on the beach"),
        ("a mixed race family at dinner", "a family at dinner"),
    ],
)
def test_words_of_mixed_heritage_are_never_sent_in_clear(prompt: str, sent: str) -> None:
    """'biracial' states an ethnicity though no value names it: by default it is dropped for the cloud
    even where nothing is varied (the device draws it), and with --keep-cues it fixes ethnicity."""
    cset = _sent(prompt)
    text = " ".join(cset.candidates).lower()
    assert not any(w in text for w in ("biracial", "mixed", "interracial")), cset.candidates
    assert cset.true_prompt.endswith(sent) and cset.device_prompt == prompt
    _same_for_every_member(cset)
    kept = _sent(prompt, policy="keep-cues")
    assert any(r.attribute == "ethnicity" and r.strength == "strong" for r in revealed(kept))


@pytest.mark.parametrize(
    ("prompt", "sent", "dropped"),
    [
        ("a little boy in yellow rain boots jumping into a puddle", "boy in yellow rain boots", "little"),
        ("young girl, sundress, meadow", "girl, outfit, meadow", "young"),
        ("a tiny little Indian girl at a wedding", "girl at a wedding", "little"),
        ("(little boy:1.4) with a toy airplane", "boy:1.4) with a toy airplane", "little"),
        ("Maria and José building a sandcastle with their little daughter", "with their daughter", "little"),
        ("a young Muslim boy reading in a library", "Muslim boy reading in a library", "young"),
    ],
)
def test_a_childs_size_words_are_dropped_for_the_cloud(prompt: str, sent: str, dropped: str) -> None:
    """'little' before a noun only a child can be narrows its age beyond the noun and is never varied:
    by default the cloud does not get it, the device draws it, and the notice says so."""
    cset = _sent(prompt)
    assert not any(dropped in c.lower().split() for c in cset.candidates), cset.candidates
    assert sent in cset.true_prompt and cset.device_prompt == prompt
    assert (dropped, "") in [(w.lower(), s) for w, s in generalized(cset)]
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    "prompt", ["a little house with a young woman", "the little mermaid", "a young mother and her little dog"]
)
def test_size_words_of_adults_and_things_stay(prompt: str) -> None:
    cset = _sent(prompt)
    assert not generalized(cset) and cset.true_prompt == cset.device_prompt == prompt


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a 6-month-old infant crawling across a shag carpet", "a 6-month-old crawling across a shag carpet"),
        ("a 3-year-old toddler splashing in a puddle", "a 3-year-old splashing in a puddle"),
        ("a 9-year-old kid on a bike", "a 9-year-old on a bike"),
        # an adjective that is no noun after it ("asleep") leaves the age a noun
        ("a 6-month-old baby asleep on a cream blanket", "a 6-month-old asleep on a cream blanket"),
    ],
)
def test_a_child_noun_after_its_age_is_dropped_for_the_cloud(prompt: str, sent: str) -> None:
    """Detection keeps a child noun after a child's age as written (varied, the two would disagree):
    by default the cloud gets the age alone, which reads as a noun, and the age stays varied."""
    cset = _sent(prompt)
    assert cset.true_prompt == sent and cset.device_prompt == prompt
    assert len(cset) == 4 and [a.kind for a in cset.attributes] == ["child_age"]
    assert (prompt.split()[2], "") in generalized(cset)
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "sent", "noun"),
    [
        (
            "teen boy, 16, gamer avatar, hoodie up, glowing eyes",
            "boy, 16, gamer avatar, hoodie up, glowing eyes",
            "teen",
        ),
        ("my baby nephew, 9 months, chubby cheeks, bunny hat", "my nephew, 9 months, chubby cheeks, bunny hat", "baby"),
        # the age in brackets ("teen" had gone out in clear beside "girl (1)")
        ("teen girl (16) reacting to her surprise", "girl (16) reacting to her surprise", "teen"),
        (
            "passport photo of my 2 year old, toddler girl, white background",
            "passport photo of my 2 year old, girl, white background",
            "toddler",
        ),
        ("newborn baby girl asleep in a basket", "newborn girl asleep in a basket", "baby"),
    ],
)
def test_a_child_noun_modifying_its_persons_noun_beside_an_age_is_dropped(prompt: str, sent: str, noun: str) -> None:
    """ "teen boy, 16": the child noun before "boy", kept as written beside the age, had gone out in
    clear beside every decoy age ("teen boy, 2"); dropped for the cloud, the person's noun and the
    varied age say the rest."""
    cset = _sent(prompt)
    assert cset.true_prompt == sent and cset.device_prompt == prompt
    assert any(
        re.search(rf"\b{noun}\b", said) and not re.search(rf"\b{noun}\b", sent) for said, sent in generalized(cset)
    )
    assert not any(re.search(rf"\b{noun}\b", c) for c in cset.candidates)
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "sent", "noun"),
    [
        ("a newborn baby sleeping on a knitted blanket", "a newborn child sleeping on a knitted blanket", "baby"),
        ("newborn baby sleeping on a knitted blanket", "newborn child sleeping on a knitted blanket", "baby"),
        ("two teenage toddlers on a slide", "two teenage children on a slide", "toddlers"),
    ],
)
def test_a_child_noun_after_an_age_adjective_is_sent_as_child(prompt: str, sent: str, noun: str) -> None:
    """An age adjective alone is no noun ("a teenage sleeping"), and the child noun after it, kept,
    would disagree with the ages the set varies ("a teenage baby"): the cloud gets "child", which
    agrees with every child age, with or without an article."""
    cset = _sent(prompt)
    assert cset.true_prompt == sent and cset.device_prompt == prompt
    assert len(cset) == 4 and [a.kind for a in cset.attributes] == ["child_age"]
    assert (noun, "children" if noun.endswith("s") else "child") in generalized(cset)
    assert not any(noun in c for c in cset.candidates)
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "sent", "noun"),
    [
        ("a teenager, 15 years old, skateboarding", "a child, 15 years old, skateboarding", "teenager"),
        ("a baby, 9 months old, crawling", "a child, 9 months old, crawling", "baby"),
        ("two kids, 5 years old, in a sandbox", "two children, 5 years old, in a sandbox", "kids"),
        ("two children, 5 years old, in a sandbox", "two children, 5 years old, in a sandbox", ""),
    ],
)
def test_a_child_noun_before_its_age_is_one_person_sent_as_child(prompt: str, sent: str, noun: str) -> None:
    """A child noun, a comma, then an age: the noun's own age, one person and one variable (not "a
    teenager, 6 months old" beside the user's own); the cloud gets "child", which agrees with
    every child age."""
    cset = _sent(prompt)
    assert cset.true_prompt == sent and cset.device_prompt == prompt
    assert len(cset) == 4 and [a.kind for a in cset.attributes] == ["child_age"]
    if noun:
        assert (noun, "children" if noun.endswith("s") else "child") in generalized(cset)
        assert not any(noun in c.split() for c in cset.candidates)
    _same_for_every_member(cset)


def test_a_skin_tone_word_is_dropped_for_a_person_only() -> None:
    """'pale' states a skin tone no slot varies: dropped for the cloud where the prompt shows a person,
    kept in a prompt without one (a person-free prompt is sent as written)."""
    cset = _sent("a pale redheaded girl with freckles")
    assert not any("pale" in c for c in cset.candidates) and cset.device_prompt.startswith("a pale")
    _same_for_every_member(cset)
    free = _sent("pale moonlight over a lake")
    assert free.candidates == ("pale moonlight over a lake",) and not generalized(free)


@pytest.mark.parametrize(
    ("prompt", "sent", "word"),
    [
        ("a nonbinary artist in a cluttered studio", "an artist in a cluttered studio", "nonbinary"),
        ("a trans woman smiling at the camera", "woman smiling at the camera", "trans"),
    ],
)
def test_words_of_gender_identity_are_never_sent_in_clear(prompt: str, sent: str, word: str) -> None:
    """No value of the taxonomy names a gender identity: the word is dropped for the cloud (the
    woman's gender stays varied); with --keep-cues it is sent as written."""
    cset = _sent(prompt)
    assert not any(word in c.lower().split() for c in cset.candidates), cset.candidates
    assert cset.true_prompt.endswith(sent) and cset.device_prompt == prompt
    _same_for_every_member(cset)
    assert any(word in c.lower().split() for c in _sent(prompt, policy="keep-cues").candidates)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a yôung lad with a flat cap", "yôung"),
        ("a 3-year-old tóddler splashing in a puddle", "tóddler"),
        ("a mixëd-race child blowing out candles", "mixëd-race"),
    ],
)
def test_a_cue_with_accents_put_on_it_is_the_cue(prompt: str, word: str) -> None:
    """Accents added to slip past ("birâcial") are read as detection reads them: the cue is dropped."""
    cset = _sent(prompt)
    assert not any(word in c for c in cset.candidates) and cset.device_prompt == prompt
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    "prompt",
    ["chubby baby girl eating watermelon, messy", "baby boys and baby girls in a nursery", "adorable baby boy, easter"],
)
def test_a_baby_girl_whose_age_nothing_else_says_is_sent_as_written(prompt: str) -> None:
    """'baby girl' with no other word of the child's age: the cloud draws the first steps of the
    user's own image, so it gets the baby, not a girl of any age; the gender stays varied and the
    residual notice says that the word tells a child."""
    cset = _sent(prompt)
    assert cset.true_prompt == prompt and all("baby" in c for c in cset.candidates) and len(cset) > 1
    assert {a.kind for a in cset.attributes} == {"gender"} and anonymity(cset) == len(cset)
    assert "a child" in residual_text(cset)
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "sent", "age"),
    [
        ("beautiful 25 year old girl, portrait, detailed face", "attractive 25 year old woman", "25"),
        ("a 30yo boy reading in a cafe", "a 30-year-old man reading in a cafe", "30"),
        ("two 20-something girls at a bar", "two 20-something women at a bar", "20"),
        # an accent put on the age hides it from no one
        ("gën z girl with dyed green hair and piercings, mall food court", "young woman with dyed green hair", "gen z"),
        # ... or said right after it, between commas
        ("girl, 22 years old, glass skin, cafe", "woman, 22 years old", "22"),
    ],
)
def test_a_child_noun_after_an_adults_age_is_sent_as_the_adult_noun_and_the_age_varies(
    prompt: str, sent: str, age: str
) -> None:
    """ "a 25 year old girl" is a young woman as image prompts use it. No candidate could say "a
    75-year-old girl", so the age had been sent in clear in every candidate; the cloud now gets
    "woman" / "man", the age is varied with the gender, and the device draws the user's words."""
    cset = _sent(prompt)
    assert cset.true_prompt.startswith(sent) and re.search(r"\b(?:girl|boy)s?\b", cset.device_prompt)
    assert {a.kind for a in cset.attributes} == {"gender", "age"}
    assert not all(age in c for c in cset.candidates)
    assert not any(re.search(r"\b(?:girl|boy)s?\b", c) for c in cset.candidates)
    _same_for_every_member(cset)


def test_dress_up_is_a_verb_not_a_dress() -> None:
    """ "dress up" names no garment: it is sent as written, never as "outfit up", and it tells no
    gender; the persons who do it are varied."""
    cset = _sent("girls dress up for a party")
    assert len(cset) > 1 and all(" dress up for a party" in c for c in cset.candidates)
    assert "dress" not in (cset.notice or "")


@pytest.mark.parametrize(
    "prompt", ["a young girl with a red balloon", "an 8-year-old girl reading comics", "a girl, 7 years old, in a park"]
)
def test_a_child_stays_a_child(prompt: str) -> None:
    cset = _sent(prompt)
    assert all(re.search(r"\b(?:girl|boy)\b", c) for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "cue"),
    [
        ("a woman with her 6 week old son", "week old"),
        ("Nana and her great-grandson (6 weeks old) asleep together", "weeks old"),
        ("a 3 week old baby sleeping", "week old"),
        ("a 10 day old baby girl in a knitted bonnet", "day old"),
        ("a week-old baby asleep on a sheepskin", "week-old"),
    ],
)
def test_an_age_in_weeks_or_days_is_an_infants_and_is_told(prompt: str, cue: str) -> None:
    """An age of "6 weeks old": no adult's "old" ("his 6 week middle-aged son") and no child age to vary
    against it ("a 3 week old tween kid"); the age is an infant's in clear, told as a strong cue."""
    cset = _sent(prompt)
    assert all(cue in c for c in cset.candidates)
    assert not any(re.search(r"\b(?:young|middle-aged|kid|teen|tween|preteen|teenage)\b", c) for c in cset.candidates)
    assert "child_age" not in cset.hidden and "age" not in cset.hidden
    assert f"{cue!r} reveals" in (cset.notice or "")
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a person of color reading in a library", "of color"),
        ("portrait of a woman of color, studio light", "of color"),
        ("a POC barista laughing behind the counter", "POC"),
    ],
)
def test_person_of_color_is_told_as_revealing_ethnicity(prompt: str, word: str) -> None:
    """'of color' and 'POC' state an ethnicity no value names and follow or precede the noun, so
    no neutral form drops them: sent as written, they are told, never silent."""
    cset = _sent(prompt)
    strong = [r for r in revealed(cset) if r.attribute == "ethnicity" and r.strength == "strong"]
    assert strong, cset.notice
    assert word in (cset.notice or "")
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("2girls, yuri, kissing, cherry blossoms", "yuri"),
        ("2boys, yaoi, hugging, rain", "yaoi"),
        ("two women at their lesbian wedding, confetti", "lesbian"),
        ("a Jewish boy reading torah at his bar mitzvah", "bar mitzvah"),  # a boy's ceremony
    ],
)
def test_genre_and_orientation_words_that_tell_a_gender_never_reach_the_cloud(prompt: str, word: str) -> None:
    """A booru genre ("yuri", "yaoi") or "lesbian" tells the gender of the pair that a count tag or
    a plural varies: by default it is sent as its neutral form, so no decoy contradicts it ("2boys,
    yuri"), and with --keep-cues it fixes the gender."""
    cset = _sent(prompt)
    assert len(cset) > 1
    assert not any(word in c for c in cset.candidates), cset.candidates
    _same_for_every_member(cset)
    kept = _sent(prompt, policy="keep-cues")
    assert any(r.attribute == "gender" and r.strength == "strong" for r in revealed(kept))


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("1boy, 1girl, couple, hetero, kiss, sunset", "hetero"),
        ("a man and a woman, hetero couple, wedding", "hetero"),
    ],
)
def test_a_word_that_says_a_pair_is_one_of_each_is_dropped(prompt: str, word: str) -> None:
    """ "hetero" tells that two persons differ in gender, which no one person's cue can say: sent,
    it would sit beside the decoy "1girl, 1girl"; the default policy drops it as it drops
    "interracial" (neutral.json, attribute_words)."""
    cset = _sent(prompt)
    assert len(cset) > 1
    assert not any(word in c for c in cset.candidates), cset.candidates
    _same_for_every_member(cset)


def test_a_dress_shirt_is_named_as_a_mans_cue_not_a_dress() -> None:
    """A context attacker reads "dress" in "dress shirt"; the notice names the shirt, which a man
    mostly wears, so the shown anonymity counts it and the user sees the word."""
    cset = _sent("a Korean father in his forties, wearing a short-sleeved dress shirt")
    assert "'dress shirt' suggests male" in (cset.notice or ""), cset.notice
    assert "female" not in (cset.notice or "") and anonymity(cset) == len(cset) // 2
    _same_for_every_member(cset)


@pytest.mark.parametrize(
    ("prompt", "word", "value"),
    [
        ("headshot of a woman, lash extensions, nude lip gloss, studio light", "lash extensions", "female"),
        ("dating profile photo of a man with a skin fade and a pocket square", "skin fade", "male"),
    ],
)
def test_beauty_and_grooming_words_are_weak_cues_in_the_anonymity(prompt: str, word: str, value: str) -> None:
    """A look described in detail tells the gender: the shown anonymity counts it, so a headshot is
    not shown hidden among more candidates than its words leave."""
    cset = apply_policy(build_candidate_set(prompt, seed=0))
    hits = [r for r in revealed(cset) if r.word == word]
    assert hits and hits[0].strength == "weak" and value in hits[0].values, revealed(cset)
    assert anonymity(cset) < len(cset)


@pytest.mark.parametrize(
    ("prompt", "gone"),
    [
        ("pregnant woman in a linen dress, hands on belly, fine art maternity portrait", "maternity"),
        ("a toddler taking her first steps on a wooden floor, candid", "first steps"),
        ("1girl, singer, jazz, 1920s, flapper dress, microphone, smoky bar", "flapper"),
        ("a teenage girl in a wheelchair at her prom, friends around her", "prom"),  # "her formal dance"
    ],
)
def test_cues_of_maternity_first_steps_flappers_and_proms_are_generalised(prompt: str, gone: str) -> None:
    """A maternity shoot tells gender, first steps a toddler's age, a flapper a woman: each is sent
    as its neutral form, so the attribute stays varied and the shown anonymity is the set's. "her
    prom" had been kept: "her dance" reads "her" as an object ("watch her dance")."""
    cset = _sent(prompt)
    assert all(gone not in c for c in cset.candidates), cset.candidates
    assert anonymity(cset) == len(cset) > 1
    assert cset.device_text == prompt
    _same_for_every_member(cset)


def test_red_lips_are_a_weak_cue_counted_in_the_anonymity() -> None:
    cset = _sent("1girl, singer, jazz, microphone, red lips, sepia")
    assert any(r.word == "red lips" and r.strength == "weak" for r in revealed(cset))
    assert anonymity(cset) < len(cset)


def test_a_diva_is_sent_as_a_star() -> None:
    """ "diva" says a woman and has no pair: the cloud reads "an opera star", the device draws the
    diva (sent as written, it had told the cloud her gender)."""
    cset = _sent("an opera diva hitting a high note, red stage light")
    assert cset.candidates == ("an opera star hitting a high note, red stage light",)
    assert cset.device_text == "an opera diva hitting a high note, red stage light"
