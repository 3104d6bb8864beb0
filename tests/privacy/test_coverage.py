"""How people write (issue 9): every sensitive word of these prompts is varied, words that describe
no person stay untouched, and the user's own prompt is kept up to a canonicalisation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed, assert_some_closed

from obclip.privacy import build_candidate_set, canonical_prompt, default_taxonomy, detect
from obclip.view import cloud_view, resolve_taxonomy


def word_in(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("a nun in a black habit", ["nun"]),
        ("an actress on a red carpet", ["actress"]),
        ("policewomen marching", ["policewomen"]),
        ("my great-grandmother on her porch", ["great-grandmother", "her"]),
        # a great-aunt or great-uncle ("90 year old great-uncle on his farm" had sent all but "his" in clear)
        ("portrait of my 90 year old great-uncle on his farm", ["90 year old", "great-uncle", "his"]),
        ("restore this scan, it's my great aunt Mildred at 100", ["aunt", "Mildred", "100"]),  # "great" stays
        ("a 70-year-old man fishing", ["70-year-old", "man"]),
        ("a woman in her 30s", ["woman", "her", "30s"]),
        ("his 7th birthday party", ["his", "7th"]),
        ("a Nigerian woman dancing", ["Nigerian", "woman"]),
        ("an elderly Chinese couple", ["elderly", "Chinese"]),
        ("a young Black woman", ["young", "Black", "woman"]),
        ("a Latina nurse", ["Latina"]),
        ("a Hispanic family", ["Hispanic"]),
        ("Mrs. Johnson baking in her kitchen", ["Mrs", "her"]),
        ("Sarah walking her dog", ["Sarah", "her"]),
        ("a South Asian bride", ["South Asian", "bride"]),
        ("a Native American elder", ["Native American", "elder"]),
        ("an Asian-American student", ["Asian-American"]),
        ("a toddler stacking blocks", ["toddler"]),
        ("a boy aged 5", ["boy", "aged 5"]),
        ("Lady Catherine in a ballgown", ["Lady", "Catherine"]),
        ("a fisherman mending his nets", ["fisherman", "his"]),
        ("a waitress in a diner", ["waitress"]),
        ("a widow at a grave", ["widow"]),
        ("a schoolgirl waiting for the bus", ["schoolgirl"]),
        # peoples no country name or WordNet people covers
        ("a Himba woman with red ochre braids", ["Himba", "woman"]),
        ("Ainu woman with a traditional mouth tattoo", ["Ainu"]),
        ("a Sherpa man resting at base camp", ["Sherpa"]),
        ("an elderly Parsi gentleman in a black cap", ["Parsi"]),
        ("a Malayali fisherman pulling a net", ["Malayali"]),
        ("a Québécoise woman ice skating on a lake", ["Québécoise", "woman"]),
        ("centenarian Okinawan woman in her garden", ["Okinawan"]),
        ("a Boricua grandmother cooking", ["Boricua"]),
        ("tall Dinka man at a cattle camp at dusk", ["Dinka", "man"]),
        ("gorgeous ebony skinned model in a gold dress", ["ebony skinned"]),  # "-skinned" with a space
        ("dark skinned man smiling", ["dark skinned", "man"]),
        ("sámi reindeer herder in a traditional gákti, lapland", ["sámi"]),
        ("powwow jingle dress dancer, ojibwe teen girl", ["ojibwe", "girl"]),
        # kin, slang and role words of one gender the word lists lacked
        ("a Viking shieldmaiden with braids and war paint", ["shieldmaiden"]),
        ("1girl, miko, red hakama, shrine, autumn leaves", ["1girl", "miko"]),
        ("grl with pink hair n cat ears, kawaii", ["grl"]),
        ("a quinceañera in a pink ball gown dancing", ["quinceañera"]),
        ("babcia making pierogi in a cozy kitchen", ["babcia"]),
        ("korean ajumma with permed hair at a fish market", ["ajumma"]),
        ("cartoon sticker of a happy niño swinging at a piñata, confetti", ["niño"]),
        ("oji-san salaryman asleep on the last train", ["oji-san"]),
        ("gigachad businessman eating a sandwich, meme", ["gigachad"]),
        ("femboy in an oversized hoodie gaming", ["femboy"]),
        ("girlboss ceo in a glass office", ["girlboss"]),
        ("juggalette with face paint at the gathering", ["juggalette"]),
        ("bolivian cholita wrestler flying off the ropes", ["cholita"]),
        ("himbo barbarian with a tiny kitten on his shoulder", ["himbo", "his"]),
        ("goblincore girlie foraging mushrooms in a damp forest", ["girlie"]),
        ("1girl, solo, shrine maiden, hakama, broom, autumn leaves", ["1girl", "shrine maiden"]),
        ("a zoomer e-girl streamer with heart stickers under the eyes", ["e-girl"]),
        ("a Tuvan throat singer on a rocky steppe at dusk", ["Tuvan"]),
        ("a group of Nenets reindeer herders, men and children", ["Nenets", "men", "children"]),
        # ages in tags and with a qualifier
        ("woman 30s, office, sad", ["woman", "30s"]),
        ("a mid-30s Vietnamese street food vendor flipping pancakes", ["mid-30s", "Vietnamese"]),
        ("an early 20s woman at a bus stop", ["20s", "woman"]),
        ("a man in his mid 30s fixing a bike", ["man", "his", "30s"]),  # "his" stays a determiner
        ("cute baby twins in matching onesies", ["baby"]),  # persons in the plural are no object
        ("Indian family celebrating Diwali on a balcony", ["Indian"]),  # "family" is a noun, not an adverb
        ("big indian joint family portrait, diwali lamps", ["indian"]),  # ... after another noun too
        ("an African American family photo at a reunion", ["African American"]),  # a picture of the family
        ("a group of Mexican abuelitas dancing in a plaza", ["abuelitas", "Mexican"]),
        # weighted syntax around an age and after a possessive; a head a preposition ends
        ("(masterpiece:1.2), 1 man, (30s:1.1), business suit, rainy street", ["30s", "man"]),
        ("a man in his (40s:1.1), film photo", ["his", "40s"]),
        ("a woman with her (red hair:1.2), smiling", ["her", "woman"]),
        ("Brazilian capoeira dancer mid-flip on the beach", ["Brazilian"]),
        ("a Japanese tea master pouring tea", ["Japanese"]),
        # age nouns written with a hyphen; peoples' words before a person
        ("Ibiza foam party, twenty-somethings covered in foam, laser show", ["twenty-somethings"]),
        ("a crowd of forty-somethings at a reunion gig", ["forty-somethings"]),
        ("a Roma boy playing football barefoot in a dusty street", ["Roma"]),
        ("a grandfather telling bedtime stories to three grandkids under a blanket fort", ["grandkids"]),
        ("a grandmother telling stories to her three little grandkids by the fire", ["little grandkids"]),
        ("an Arabian princess on a magic carpet", ["Arabian"]),
        ("Roman legionaries in testudo formation under a hail of arrows", ["Roman"]),
        # a colour word as a tag right after a person's tag; "one ... and one white" after a group
        # with an adjective; ages and skin tones written so; an age as a character sheet's field
        ("1boy, solo, male focus, 40s, black, bald, goatee", ["black"]),
        ("man, 25 years old, white, brown hair, stubble", ["white"]),
        ("two female nurses, one South Asian and one white, walking down a hospital corridor", ["white"]),
        ("retirement-age Cuban men playing dominoes on a folding table", ["retirement-age"]),
        ("selfie of two college-aged Brazilian guys at a beach", ["college-aged"]),
        ("a dusky-skinned woman in a sari, monsoon", ["dusky-skinned"]),
        ("character sheet, (Gender: female), (Age: 34), nurse, scrubs", ["34"]),
        ("a young Habesha woman pouring coffee from a jebena", ["Habesha"]),
        # a bare number between commas in a prompt of one person and no age word is their age
        ("portrait of a Yoruba bride in aso-oke and gele, 29, Lagos wedding, ring light", ["29"]),
        # ... of one person named by a people's word before a person noun no slot holds
        ("fashion shoot, a 6ft Somali model in a silk hijab, 22, runway, Paris fashion week", ["22"]),
        ("a Mexican chef in a white apron, 45, in a busy kitchen", ["45"]),
        # ... before the person's word too (it had raised an IndexError, a traceback)
        ("(masterpiece:1.2), portrait, 29, a woman in a red dress", ["29"]),
        ("40s, 1girl, solo, mature, office lady", ["40s", "mature"]),
        # a school year or a league's age group before a child's noun; "about" written short
        ("a 4th grade girl practicing her book report in front of a mirror", ["4th grade"]),
        ("U12 girls basketball team huddle, coach kneeling in the middle", ["U12"]),
        ("fifth-grade boys playing tag at recess", ["fifth-grade"]),
        ("muddy U8 soccer kid with a medal bigger than his face", ["U8"]),
        ("kid abt 7 eating watermelon on the porch steps", ["7"]),
        # two kin words joined by "and" are two persons, not the family business ("mom and pop shop")
        ("mom and dad swinging their toddler between them on a beach at sunset", ["mom", "dad"]),
        ("my mom and dad on a beach", ["mom", "dad"]),
        # a modifier before a part of the body is its person's
        ("female hands holding a coffee cup, top view", ["female"]),
        ("old hands kneading dough on a floured board", ["old"]),
        # an accent put on "birthday" hides nothing
        ("my grandma and her twin sister on their 90th birthda\u0308y, matching cardigans", ["90th"]),
        # ... nor on "early" before a decade (a hostile variant of `heldout26`)
        ("delivery driver, african american guy e\u0300arly 20s, carrying packages", ["20s"]),
        # an approximate age between commas after another word said of the one person
        ("a Czech woman, blonde, around 25, reading on a bench in Prague", ["25"]),
        # a person doing an activity of WordNet's, not a "granny square"
        ("a Chinese grandmother square dancing with her friends in a plaza at dusk", ["Chinese", "grandmother"]),
    ],
)
def test_every_sensitive_word_varies(prompt: str, words: list[str]) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not any(re.search(r"\b(him|hers)\b", c) for c in cset.candidates), cset.candidates  # no object form
    for word in words:
        assert not all(word_in(word, c) for c in cset.candidates), (prompt, word)


@pytest.mark.parametrize(
    "prompt", ["(masterpiece:1.2), portrait, 29, a woman in a red dress", "40s, 1girl, solo, mature, office lady"]
)
def test_an_age_before_its_persons_word_is_theirs_and_reads_back(prompt: str) -> None:
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "a 4th grade girl practicing her book report",
        "U12 girls basketball team huddle",
        "muddy U8 soccer kid",
        "my mom and dad on a beach",
        "female hands holding a coffee cup, top view",
    ],
)
def test_a_school_year_before_a_child_reads_back(prompt: str) -> None:
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    ["redhead woman with a French braid, autumn forest", "concert poster for a Mongolian throat singing group"],
)
def test_a_peoples_word_before_a_part_of_the_body_names_a_style(prompt: str) -> None:
    assert "ethnicity" not in {a.kind for a in build_candidate_set(prompt, seed=0).template.attributes}


@pytest.mark.parametrize(
    "prompt",
    ["a punk with a mohawk and a leather jacket", "photo of a kid, maybe 7, with a mohawk and a dinosaur t-shirt"],
)
def test_a_mohawk_in_lower_case_is_a_hairstyle(prompt: str) -> None:
    """It had been read as a person of the Mohawk people: "a punk with an Indian and a leather jacket"."""
    cset = build_candidate_set(prompt, seed=0)
    assert all("with a mohawk and" in c for c in cset.candidates), cset.candidates
    assert "ethnicity" not in {a.kind for a in cset.template.attributes}
    assert "ethnicity" in {a.kind for a in build_candidate_set("a Mohawk elder in a longhouse", seed=0).attributes}


@pytest.mark.parametrize(
    "prompt", ["a cowboy in a jeep cherokee on a dirt road", "a pilot beside an apache helicopter"]
)
def test_a_car_or_a_helicopter_named_after_a_people_is_no_person(prompt: str) -> None:
    """ "a jeep cherokee" had been sent as "a jeep Indian" beside the cowboy."""
    assert "ethnicity" not in {a.kind for a in build_candidate_set(prompt, seed=0).template.attributes}


@pytest.mark.parametrize(
    ("prompt", "year"),
    [
        ("a 4th grade teacher at the whiteboard", "4th grade"),
        ("a grade 3 class photo, 1998 yearbook style", "grade 3"),
        ("5th grade science fair poster on a table", "5th grade"),
    ],
)
def test_a_school_year_before_no_child_is_sent_as_written(prompt: str, year: str) -> None:
    """ "a 4th grade teacher" is no child of the fourth grade: the year says nothing of a person."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(year in c for c in cset.candidates), cset.candidates
    assert "child_age" not in {a.kind for a in cset.template.attributes}


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [
        ("a little princess in a pink gown", "princess"),
        ("a boy aged 5", "aged"),
        ("Lady Catherine in a ballgown", "Lady"),
        ("an actress on a red carpet", "actress"),
        ("a waiter in a tuxedo", "waiter"),
    ],
)
def test_the_true_candidate_keeps_the_role(prompt: str, kept: str) -> None:
    assert word_in(kept, canonical_prompt(prompt))


@pytest.mark.parametrize(
    ("prompt", "kept", "counterpart"),
    [
        ("a zoomer e-girl streamer, ring light", "e-girl", "e-boy"),
        ("korean ajumma with permed hair at a fish market", "ajumma", "ahjussi"),
        ("a chola with hoop earrings leaning on a lowrider", "chola", "cholo"),
        ("1girl, solo, miko, red hakama, shrine", "miko", "kannushi"),
        ("juggalo with face paint at the gathering", "juggalo", "juggalette"),
        ("three elderly Italian nonnas judging a pasta competition", "nonnas", "nonnos"),
        ("womens soccer team celebrating a goal, stadium lights", "womens", "mens"),
        ("two ladies chatting at a cafe", "ladies", "gentlemen"),
        ("my bros at the beach, summer", "bros", "sistas"),
        ("pov: you're a boomer dad grilling burgers at a cookout", "boomer", "zoomer"),
        ("millennial woman drinking an oat latte", "millennial", "xennial"),
        ("gen xers at a mall food court", "gen xers", "boomers"),
        ("tomboy with short hair and bandaids on her knees, skateboard", "tomboy", "femboy"),
        ("(cute:1.2) chibi catgirl barista, (latte art:1.1), pastel cafe", "catgirl", "catboy"),
    ],
)
def test_a_word_with_a_counterpart_is_kept_and_its_counterpart_is_the_decoy(
    prompt: str, kept: str, counterpart: str
) -> None:
    """ "e-girl", "nonnas", "boomer" are sent as written in the user's own candidate, "e-boy",
    "nonnos", "zoomer" in others' (they had been sent as "woman", "grandmothers", "senior": the
    user's own words changed)."""
    cset = build_candidate_set(prompt, seed=0)
    assert word_in(kept, cset.true_prompt)
    assert any(word_in(counterpart, c) for c in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a Yoruba wedding, bride and groom in matching aso-oke, guests dancing", "Yoruba"),
        ("Pakistani wedding, bride in red lehenga with henna", "Pakistani"),
        ("Tongan church choir in white, sunday morning", "Tongan"),
        ("a Tongan choir singing under a mango tree", "Tongan"),
        ("a Filipino family karaoke night, kids dancing", "Filipino"),
        ("a Welsh coal miner singing in a male voice choir", "male"),
        ("a Navajo silversmiths hands setting turquoise into a cuff bracelet, macro", "Navajo"),
        ("a Punjabi wedding baraat, the groom arriving on a white horse, dhol players", "Punjabi"),
    ],
)
def test_a_word_of_a_people_or_gender_before_a_gathering_or_a_body_part_describes_its_people(
    prompt: str, word: str
) -> None:
    """A wedding, a choir, a family night: the people there are of that people or gender; a person
    noun with an "s" before a body part is a possessive ("silversmiths hands"). The word went out in
    clear, since the phrase's head names no person."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not all(word_in(word, c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a bunch of 10-year-olds at a science fair, baking soda volcano", "10-year-olds"),
        ("little league team of 10 year olds piling on each other after a walk-off", "10 year olds"),
        ("two 40-year-olds arguing at a bar", "40-year-olds"),
        ("two 6-month-olds on a play mat", "6-month-olds"),
    ],
)
def test_ages_in_years_in_the_plural_are_varied_and_the_users_own_is_kept(prompt: str, word: str) -> None:
    """ "10-year-olds" had been read as no word at all and sent in every candidate."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not all(word_in(word, c) for c in cset.candidates), cset.candidates
    assert word_in(word, cset.true_prompt)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    ["(mature female:1.2), (40s:1.1), 1girl, solo, lab coat, glasses", "(old man:1.2), (70s:1.2), harbor, fog"],
)
def test_a_weighted_decade_tag_after_a_weighted_person_tag_is_that_persons_age(prompt: str) -> None:
    """The weight and bracket between the tags had kept the decade from the person: sent as written
    in every candidate, or varied apart from the person's age ("(young man:1.2), (70s:1.2)")."""
    ages = {"young": "20s", "middle-aged": "40s", "old": "70s"}
    cset = build_candidate_set(prompt, seed=0)
    for candidate in cset.candidates:
        age = next(a for a in ages if candidate.startswith(f"({a} "))
        assert f"({ages[age]}:" in candidate, candidate
    assert len({c.split(")")[1] for c in cset.candidates}) == 3
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "Chinese lantern festival at night, no people",
        "Mexican family recipe for mole, handwritten card",
        "a Korean feast on a low table, banchan, top view",
        "an old church on a hill, fog",
        "a female robot in a lab, glowing eyes",
        "no humans, robot, humanoid robot, female robot, lab, cables",
        "an elderly mannequin in a thrift shop window",
        "emperor penguin chick on the ice, fluffy, blizzard",
        "a fluffy yellow chick in a teacup",
        "a baby chick hatching from its egg",
        "a Mexican wedding cake with sugar roses",
    ],
)
def test_a_gathering_nobody_is_at_a_group_before_a_thing_or_a_likeness_stays_person_free(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


def test_a_group_written_both_ways_keeps_its_words_in_the_mixed_decoy() -> None:
    """The mixed value of a group says the i-th words of the others together ("nonnos and
    nonnas"), so a decoy never mixes registers the user did not write."""
    candidates = build_candidate_set("the nonnas at the market", seed=0).candidates
    assert set(candidates) == {
        "the nonnas at the market",
        "the nonnos at the market",
        "the nonnos and nonnas at the market",
    }


@pytest.mark.parametrize(
    ("prompt", "noun"),
    [
        ("A Latina quinceañera girl in a huge teal ballgown on a staircase", "girl"),
        ("gigachad businessman eating a sandwich on wall street", "businessman"),
    ],
)
def test_a_word_read_as_a_plain_noun_before_its_own_noun_is_not_written_twice(prompt: str, noun: str) -> None:
    """A word that renders as its category's plain noun right before a noun of the same person
    ("quinceañera girl") had been sent as "girl girl", "man businessman": one person read as two."""
    cset = build_candidate_set(prompt, seed=0)
    words = cset.true_prompt.casefold().split()
    assert words.count(noun) == 1
    for candidate in cset.candidates:
        folded = candidate.casefold()
        assert not any(
            f"{a} {b}" in folded
            for a in ("girl", "boy", "man", "woman")
            for b in ("girl", "boy", "man", "woman", "businessman", "businesswoman")
        )
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["Abuelita Rosa cooking in the kitchen", "Lola Caring, 101 years old, frying lumpia at a street stall"]
)
def test_a_kin_word_of_another_language_before_a_name_stays_a_kin_word(prompt: str) -> None:
    """ "Abuelita Rosa" had been sent as "Rosa" / "James": the grandmother was lost from the user's
    own prompt and the decoys alike."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert all(re.match(r"Grand(mother|father) [A-Z]", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "two sisters dancing at a quinceañera, fairy lights",
        "a quinceañera party in a backyard, string lights",
        "dancing at her quinceanera with her dad",
    ],
)
def test_a_quinceanera_that_is_the_party_stays_as_written(prompt: str) -> None:
    """The word is the girl and her party: "dancing at a quinceañera" had been sent as "dancing at a
    girl" / "at a boy", "a quinceañera party" as "a girl party"."""
    word = "quinceanera" if "quinceanera" in prompt else "quinceañera"
    cset = build_candidate_set(prompt, seed=0)
    assert all(word in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_emoji_lose_gender_age_and_skin_tone() -> None:
    cset = build_candidate_set("\U0001f475\U0001f3fd knitting a scarf")
    assert cset.candidates == ("\U0001f9d1 knitting a scarf",)
    assert (
        canonical_prompt("\U0001f469\U0001f3fe\u200d\u2695\ufe0f checking a chart")
        == "\U0001f9d1\u200d\u2695\ufe0f checking a chart"
    )


def test_articles_and_dashes_agree() -> None:
    assert set(build_candidate_set("a (old) man").candidates) >= {"an (old) man", "a (young) man"}
    assert set(build_candidate_set("a {{old}} man").candidates) >= {"an {{old}} man", "a {{young}} man"}
    assert canonical_prompt("a middle–aged man") == "a middle-aged man"
    assert set(build_candidate_set("an 80-year-old woman").candidates) >= {"an 80-year-old man", "a 30-year-old man"}


def test_the_budget_still_partitions_the_larger_sets() -> None:
    prompt = "Mrs. Emma Lee, a 70-year-old Nigerian grandmother, with her grandson"
    full = build_candidate_set(prompt, max_candidates=4096)
    groups = {build_candidate_set(member, max_candidates=6, seed=0).candidates for member in full.candidates}
    sets = [set(g) for g in groups]
    assert set().union(*sets) == set(full.candidates)
    assert sum(len(s) for s in sets) == len(full)


NAMES = [
    n
    for v in default_taxonomy().attributes[0].values_for(["first_name"])
    for n in default_taxonomy().attributes[0].forms[v]["first_name"]
]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    age=st.integers(0, 120),
    nation=st.sampled_from(["Kenyan", "Chinese", "Peruvian", "Polish", "Pakistani", "Samoan"]),
    religion=st.booleans(),
)
def test_names_numbers_and_nationalities_are_closed(name: str, age: int, nation: str, religion: bool) -> None:
    prompt = f"{name}, a {age}-year-old {nation} woman in a hijab, with her son"
    taxonomy = resolve_taxonomy(None, "embedded:default", opt_in=("religion",) if religion else ())
    cset = build_candidate_set(prompt, taxonomy=taxonomy, seed=1, max_candidates=64)
    for member in cset.candidates[:6]:
        again = build_candidate_set(member, taxonomy=taxonomy, seed=1, max_candidates=64)
        assert again == cset and again.candidates == cset.candidates
    assert detect(prompt, taxonomy).attributes


def test_no_form_of_the_default_taxonomy_starts_with_another_forms_canonical_rendering() -> None:
    """A candidate renders canonical forms next to the user's words; a form that begins with a
    canonical form ("middle-aged person" after "middle-aged") would read back as another slot."""
    taxonomy = default_taxonomy(("religion",))
    canonical = {
        spec.canonical(v, c).lower()
        for spec in taxonomy.attributes
        for c in spec.categories
        for v in spec.values_for((c,))
    }
    clashes = set()
    for key in taxonomy.lexicon:
        words = key.split(" ")
        clashes.update((key, " ".join(words[:i])) for i in range(1, len(words)) if " ".join(words[:i]) in canonical)
    # "<value> American" is one form on purpose: "American" after a value word is a slot itself
    american = {"african american", "asian american", "indian american", "european american"}
    # a group's pair forms ("men and women", "1boy 2girls") are one slot on purpose: both halves are
    # forms of one plural category, so every "X and Y" of that category reads back as the same slot
    gender = taxonomy.attribute("gender")
    pairs = {
        key
        for key, entry in taxonomy.lexicon.items()
        if entry.attribute == taxonomy.index("gender")
        and entry.categories <= {c for c in gender.categories if "plural" in c}
        and (" and " in key or key[0].isdigit())
    }
    # a woman's word of a role renders "female hunter" / "male hunter" (`neutral_*` categories):
    # the gender adjective's only forms are "female" and "male", so the adjective read before the
    # role's word renders the very same strings
    roles = {key for key, entry in taxonomy.lexicon.items() if all(c.startswith("neutral_") for c in entry.categories)}
    # the in-laws written apart ("mother in law"): a kin word before "in law" is the in-law itself,
    # whatever form renders it, so every candidate reads the two words as one alike
    in_laws = {key for key in taxonomy.lexicon if key.endswith(" in law")}
    assert {key for key, _ in clashes} <= american | pairs | roles | in_laws
    assert in_laws == {f"{kin} in law" for kin in ("mother", "father", "sister", "brother", "son", "daughter")}
    assert "men and women" in pairs and "1boy 1girl" in pairs
    assert set(gender.forms["female"]["adjective"]) == {"female"} and set(gender.forms["male"]["adjective"]) == {"male"}


@pytest.mark.parametrize("attribute", ["gender", "ethnicity", "religion"])
def test_no_form_ends_in_a_canonical_rendering_of_its_attribute(attribute: str) -> None:
    """ "south" before a rendered "Asian" must not read back as a form "South Asian"."""
    taxonomy = default_taxonomy(("religion",))
    spec = taxonomy.attribute(attribute)
    canonical = {spec.canonical(v, c).lower() for c in spec.categories for v in spec.values_for((c,))}
    index = taxonomy.index(attribute)
    clashes = [
        key
        for key, entry in taxonomy.lexicon.items()
        if entry.attribute == index
        for i in range(1, len(key.split(" ")))
        if " ".join(key.split(" ")[i:]) in canonical and key.split(" ")[0] != "baby"
    ]
    # a group's pair forms end in a plural on purpose ("men and women"): both halves are forms of
    # one category, so the words before a rendered plural make a pair only if they are one too
    plural = {c for c in spec.categories if "plural" in c}
    clashes = [
        key
        for key in clashes
        if not ((" and " in key or key[0].isdigit()) and taxonomy.lexicon[key].categories <= plural)
    ]
    assert clashes == []


@pytest.mark.parametrize(
    ("prompt", "numbers"),
    [
        ("my parents dancing at their anniversary, 70 and 68 years old", ["70", "68"]),
        ("two sisters aged 4 and 7 in matching raincoats", ["4", "7"]),
        ("two brothers, 8 and 11, racing bikes down a dirt road", ["8", "11"]),
        ("my 2 daughters as disney princesses, pixar style, they are 4 and 7", ["4", "7"]),
        ("my little brother and sister, they are 6 and 9, building a sandcastle", ["6", "9"]),
        ("three kids (4, 7 and 11) building a blanket fort", ["4", "7", "11"]),
        ("grandpa and his three granddaughters (8, 10 and 13) playing mahjong", ["8", "10", "13"]),
        ("three kids, 4, 7 and 11, at the beach", ["4", "7", "11"]),
        # in brackets with commas only ("16", "12", "7" had gone out in clear)
        ("me, my wife, and our 3 kids (16, 12, 7), cartoon style", ["16", "12", "7"]),
        ("my daughters (4, 7) in matching dresses", ["4", "7"]),
        ("two old women (both 84) on a bench by the sea", ["84"]),
    ],
)
def test_ages_joined_by_and_each_vary(prompt: str, numbers: list[str]) -> None:
    cset = build_candidate_set(prompt, seed=0)
    for number in numbers:
        assert not all(word_in(number, c) for c in cset.candidates), (prompt, number, cset.candidates)
    assert_some_closed(prompt, seed=0)


def test_a_child_noun_before_its_ages_in_brackets_stays_a_child_noun() -> None:
    """ "three kids (4, 7 and 11)" had decoys "three teenagers (4, 7 and 11)", "three infants ...":
    the ages are the kids', so the noun stays as written and the ages vary."""
    cset = build_candidate_set("three kids (4, 7 and 11) building a blanket fort", seed=0)
    assert len(cset) > 1 and all(c.startswith("three kids (") for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [("a woman between 30 and 40 years old", "30"), ("a girl aged 7 and 2 cats", "2"), ("a man, 45, and 3 dogs", "3")],
)
def test_a_range_or_a_count_after_and_is_no_second_age(prompt: str, kept: str) -> None:
    assert word_in(kept, build_candidate_set(prompt, seed=0).template.text)


def test_numbers_in_brackets_after_no_person_are_no_ages() -> None:
    assert len(build_candidate_set("three sizes (10, 12, 14) of running shoes", seed=0)) == 1


@settings(max_examples=40, deadline=None)
@given(
    first=st.integers(1, 99),
    second=st.integers(1, 99),
    shape=st.sampled_from(
        [
            "my parents, {} and {} years old",
            "two sisters aged {} and {} in the rain",
            "two brothers, {} and {}, racing",
            "my sons, they are {} and {}",
            "my brother and sister, they are {} and {}",
            "three kids ({}, 5 and {}) in the rain",
            "two old women (both {}) and {} cats",
        ]
    ),
    seed=st.integers(0, 2**32),
)
def test_ages_joined_by_and_are_closed(first: int, second: int, shape: str, seed: int) -> None:
    assert_closed(shape.format(first, second), seed=seed)


@pytest.mark.parametrize("prompt", ["my grandparents on their porch", "family dinner, grandparents, parents and kids"])
def test_gender_neutral_kin_that_tells_an_age_is_named(prompt: str) -> None:
    # a weak cue, named with what it suggests, as the app names it ("reveals" is for strong ones)
    assert "'grandparents' suggests middle-aged/old (age, weak" in (cloud_view(prompt, seed=0).notice or "")


@pytest.mark.parametrize(
    ("prompt", "number"),
    [
        ("my daughter, 7, blowing bubbles", "7"),
        ("a girl, 11, smiling at the camera", "11"),
        ("a boy (7) on a swing", "7"),
        ("my son, 18 months, in a high chair", "18 months"),
        ("two brothers, 8 and 11, racing bikes", "11"),
    ],
)
def test_a_childs_bare_age_is_kept_in_the_users_own_candidate(prompt: str, number: str) -> None:
    # every bare child age has a row; an infant's partner renders "18 months", read back the same
    cset = build_candidate_set(prompt, seed=0)
    assert word_in(number, cset.true_prompt) and len(cset) > 1
    assert_closed(prompt, seed=0)


@settings(max_examples=40, deadline=None)
@given(age=st.integers(1, 17), months=st.booleans(), seed=st.integers(0, 2**32))
def test_bare_child_ages_are_closed(age: int, months: bool, seed: int) -> None:
    said = f"{age} months" if months else str(age)
    assert_closed(f"my son, {said}, in the garden", seed=seed)


@pytest.mark.parametrize(
    "prompt",
    [
        "a goth girl in her late 20s reading tarot cards in a laundromat",
        "hijabi girl in her early 20s, streetwear, mall rooftop",
    ],
)
def test_a_child_noun_whose_adult_age_is_varied_is_sent_as_the_adult_noun(prompt: str) -> None:
    """Its decoys had said "a goth girl in her late 70s": every candidate now says "woman"/"man"
    with the varied age, and the cloud learns no age from the noun."""
    cset = cloud_view(prompt, seed=0)
    assert len(cset) == 6
    assert not any(word_in("girl", c) or word_in("boy", c) for c in cset.candidates)
    assert any(word_in("woman", c) and "70s" in c for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt",
    ["1girl, milf, mother, apron, kitchen, cooking", "score_9, 1boy, bishounen, white hair, priest, cassock"],
)
def test_person_tags_of_different_kinds_beside_one_count_tag_are_its_person(prompt: str) -> None:
    """They had been three persons, so a decoy said "1boy, dilf, mother"."""
    template = detect(prompt)
    assert {a.person for a in template.attributes} == {0}
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("candid photo of Auntie Ngozi, 62, in a bright ankara headwrap, laughing", "62"),
        ("portrait of Emma, 30, smiling at the camera", "30"),
        ("a woman who looks about 35 sitting alone at a diner counter", "35"),
        ("mid 30s man with a receding hairline, linkedin headshot, grey backdrop", "30s"),
    ],
)
def test_a_bare_or_qualified_age_of_a_person_is_varied(prompt: str, age: str) -> None:
    """ "photo of Auntie Ngozi, 62," had read "of Auntie Ngozi" as a place, and neither "who looks
    about 35" nor a qualified decade opening the prompt was an age: each went out in clear in every
    candidate."""
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word_in(age, c) for c in cset.candidates)
    assert_closed(prompt, seed=0)


def test_an_adjective_made_of_a_person_word_is_no_typo() -> None:
    """ "witchy girl" had been sent as "witch woman" / "wizard man"."""
    cset = build_candidate_set("witchy girl making candles, crystals, apothecary shelves", seed=0)
    assert all(c.startswith("witchy ") for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt", ["a South Asian woman reading", "an East Asian man at a night market", "two West African drummers"]
)
def test_a_region_before_a_peoples_word_is_read_with_it(prompt: str) -> None:
    """ "South Asian", "East Asian", "West African" are one word of a people. Read as a fixed compass
    word before a slot, they had gone out as "South Caucasian" or "East Hispanic": decoys no one
    writes beside the user's own."""
    template = detect(prompt).text
    assert not re.search(r"(?i)\b(south|east|west)\b", template), template
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [
        ("a man and a woman at a cafe, 2, tables", "2"),  # two persons: whose age would it be?
        ("a 30 year old man reading, 2, glasses", "2"),  # a number of his own is said already
        ("a pop star in a glitter bodysuit, 50,000 fans, confetti", "50,000"),  # a count
    ],
)
def test_a_bare_number_is_no_age_beside_two_persons_or_an_age_word(prompt: str, kept: str) -> None:
    """An age adjective of the one person's own phrase is no bar since round 39 ("an old man
    reading, 80, glasses" varies 80 with "old": tests/privacy/test_milestones.py)."""
    assert all(re.search(rf"\b{re.escape(kept)}\b", c) for c in build_candidate_set(prompt, seed=0).candidates)


@pytest.mark.parametrize(
    ("prompt", "people"),
    [("a South Asian woman reading", "Indian"), ("a Central American farmer at dawn", "Hispanic")],
)
def test_a_region_that_names_another_values_people_is_read_as_that_value(prompt: str, people: str) -> None:
    """ "South Asian" names the people of the value "Indian" (Indian, Pakistani, Bangladeshi), not of
    "Asian": the user's own candidate, which the cloud draws the first steps of, says so."""
    cset = build_candidate_set(prompt, seed=0)
    assert people in cset.candidates[cset.true_index]
    assert_closed(prompt, seed=0)
