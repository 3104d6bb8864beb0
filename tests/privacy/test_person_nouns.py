"""Person nouns read from WordNet (`data/person_nouns.json`) and taxonomy aliases: a gendered,
aged or people's word without a counterpart is read as its kind's generic word and never sent."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from tests.privacy.test_coverage import word_in

from obclip.errors import TaxonomyError
from obclip.privacy import build_candidate_set, default_taxonomy, parse_taxonomy
from obclip.privacy.taxonomy import combine_taxonomies


def _data() -> dict:
    return json.loads(resources.files("obclip.privacy").joinpath("data/person_nouns.json").read_text("utf-8"))


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a matron in a starched apron", "matron"),
        ("a governess teaching two children", "governess"),
        ("a laundress hanging sheets", "laundress"),
        ("two blokes fishing off a pier", "blokes"),
        ("a busboy clearing tables", "busboy"),
        ("an old crone in a hut", "crone"),
        ("a codger on a park bench", "codger"),
        ("an urchin begging in the rain", "urchin"),
        ("a Bedouin man with camels", "Bedouin"),
        ("a Korean-born violinist", "Korean-born"),
        ("two Swedes skiing", "Swedes"),
    ],
)
def test_word_without_counterpart_is_never_sent(prompt: str, word: str) -> None:
    _varied_and_never_sent(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "seen"),
    [
        ("a matron in a starched apron", {"woman", "man"}),
        ("an urchin begging in the rain", {"kid", "infant", "teenager"}),
        ("a codger on a park bench", {"senior", "youngster", "grown-up"}),
    ],
)
def test_alias_renders_the_generic_noun_of_its_kind(prompt: str, seen: set[str]) -> None:
    cset = build_candidate_set(prompt, seed=0)
    rendered = {w for c in cset.candidates for w in seen if word_in(w, c)}
    assert rendered == seen


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        (
            "a huntress with a bow in the snow",
            {"a female hunter with a bow in the snow", "a male hunter with a bow in the snow"},
        ),
        (
            "an aviatrix beside her biplane",
            {"a female aviator beside her biplane", "a male aviator beside his biplane"},
        ),
        (
            "two shepherdesses on a hill",
            {
                "two female shepherds on a hill",
                "two male shepherds on a hill",
                "two male and female shepherds on a hill",
            },
        ),
        (
            "two forewomen on the site",
            {"two forewomen on the site", "two foremen on the site", "two foremen and forewomen on the site"},
        ),
    ],
)
def test_a_womans_word_of_a_role_keeps_the_role_for_the_cloud(prompt: str, sent: set[str]) -> None:
    """'huntress' (WordNet: "a woman hunter") is sent as "female hunter" / "male hunter", not as
    "woman" / "man": the cloud draws the first steps of the user's image, and the role is its
    subject; a group varies its gender mix. The role's own word is no slot ("a hunter")."""
    cset = build_candidate_set(prompt, seed=0)
    assert set(cset.candidates) == sent
    for member in cset.candidates:
        assert build_candidate_set(member, seed=0).candidates == cset.candidates
    assert len(build_candidate_set("a hunter with a bow in the snow", seed=0)) == 1
    assert {"huntress", "poetess", "shepherdess"} <= set(_data()["neutral"])
    assert "governess" not in _data()["neutral"]  # "a woman entrusted with ... a child": no female governor


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a female hero with a cape", {"a female hero with a cape", "a male hero with a cape"}),
        ("male host on a stage", {"male host on a stage", "female host on a stage"}),
        (
            "female revolutionary leader on a barricade",
            {"female revolutionary leader on a barricade", "male revolutionary leader on a barricade"},
        ),
        ("a female superhero on a ledge", {"a female superhero on a ledge", "a male superhero on a ledge"}),
    ],
)
def test_a_gender_adjective_before_a_role_varies_and_the_role_stays(prompt: str, sent: set[str]) -> None:
    """A role named by its man's form ("hero", "host") after "female" / "male" is the role: the
    adjective is varied and the noun stays, never "a male heroine"; a role WordNet files among
    things too ("leader") or does not hold ("superhero") is a person after the adjective."""
    cset = build_candidate_set(prompt, seed=0)
    assert set(cset.candidates) == sent
    for member in cset.candidates:
        assert build_candidate_set(member, seed=0).candidates == cset.candidates


def test_alias_set_is_closed() -> None:
    cset = build_candidate_set("a matron in a starched apron beside her bed", seed=3)
    for member in cset.candidates:
        assert build_candidate_set(member, seed=3).candidates == cset.candidates


@pytest.mark.parametrize(
    "prompt",
    ["a flapper dress on a hanger", "a Miami sunset", "a Tuscan villa", "a fellow traveler's map", "a maid outfit"],
)
def test_words_that_name_no_person_stay(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


def test_data_file_is_disjoint_and_not_in_the_hand_lists() -> None:
    data = _data()
    words = [w for kind in ("female", "male", "girl", "boy", "old", "infant", "child", "teen") for w in data[kind]]
    words += [w for pair in data["pairs"] for w in pair[:2]]
    assert len(words) == len(set(words)) > 250
    people = [w for value in data["ethnicity"].values() for w in value]
    assert len(people) == len(set(people)) > 200
    assert "WordNet" in data["source"]


def test_aliases_are_read_but_never_rendered() -> None:
    raw = {
        "format": "obclip-taxonomy/1",
        "attributes": [
            {
                "name": "gender",
                "values": [
                    {"value": "female", "forms": {"noun": ["woman"]}, "aliases": {"noun": ["matron"]}},
                    {"value": "male", "forms": {"noun": ["man"]}},
                ],
            }
        ],
    }
    taxonomy = parse_taxonomy(raw)
    assert taxonomy.lexicon["matron"].value == "female"
    assert taxonomy.lexicon["matron"].categories == taxonomy.lexicon["woman"].categories
    cset = build_candidate_set("a matron reading", taxonomy=taxonomy, seed=0)
    assert sorted(cset.candidates) == ["a man reading", "a woman reading"]
    combined = combine_taxonomies(taxonomy, taxonomy)
    assert combined.lexicon["matron"].value == "female"


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ({"title": ["Dame"]}, "no forms of"),
        ({"noun": ["man"]}, "belongs to two values"),
        ({"noun": []}, "non-empty list"),
        (["matron"], "must be an object"),
    ],
)
def test_bad_aliases_are_refused(aliases: object, message: str) -> None:
    raw = {
        "format": "obclip-taxonomy/1",
        "attributes": [
            {
                "name": "gender",
                "values": [
                    {"value": "female", "forms": {"noun": ["woman"]}, "aliases": aliases},
                    {"value": "male", "forms": {"noun": ["man"]}},
                ],
            }
        ],
    }
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(raw)


def test_other_names_of_a_people_take_their_countrys_value() -> None:
    """WordNet's other names of a country's people render as the country's demonym does; a
    sub-people with a second parent, a language or a common word is none of them."""
    values = {w: v for v, words in _data()["ethnicity"].items() for w in words}
    assert values["Aussie"] == values["Canuck"] == "caucasian"  # Australian, Canadian (countries.json)
    assert values["Scouser"] == values["Berliner"] == "european"
    for word in ("Aborigine", "Badger", "Dakota", "Kiwi", "Glossiness", "Tory"):
        assert word not in values, word


def test_default_taxonomy_reads_every_generated_word() -> None:
    lexicon = default_taxonomy().lexicon
    data = _data()
    for kind in ("female", "male", "old", "child"):
        for word, plural in data[kind].items():
            assert word in lexicon, word
            assert plural.lower() in lexicon, plural
    for words in data["ethnicity"].values():
        for word in words:
            assert word.lower() in lexicon, word
            assert not word.isalpha() or f"{word.lower()}-born" in lexicon, word


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a pregnant mother-to-be on a sofa", "mother-to-be"),
        ("his ex-wife at the door", "ex-wife"),
        ("three fellas at a bar", "fellas"),
        ("a kiddo with a lollipop", "kiddo"),
        ("a gent in a bowler hat", "gent"),
        ("a codger yelling at clouds", "codger"),
        ("two Nigerian-Americans talking", "Nigerian-Americans"),
        ("a Korean-Canadian girl", "Korean-Canadian"),
        ("an Asian-looking man", "Asian-looking"),
        ("an Aussie bloke with a beer", "Aussie"),
        ("a Scouser at a football match", "Scouser"),
        ("a half Korean woman", "half Korean"),
        ("a Chinese-Jamaican chef smiling in a kitchen", "Chinese-Jamaican"),
        ("young Irish-Nigerian boxer, gym, sweat", "Irish-Nigerian"),
        ("Chinesé-Malaysian hawker frying char kway teow", "Chinesé-Malaysian"),  # an accent hides nothing
        ("1girl, solo, yukata, japanese-brazilian, festival, night", "japanese-brazilian"),  # a tag of its own
        ("a Lebanese teta rolling grape leaves on a balcony", "teta"),
        ("Maori kuia with moko kauae, portrait", "kuia"),
        ("my nainai and yeye in their garden", "nainai"),
        ("my mormor and morfar at the summer house", "morfar"),
        ("three aussie tradies on smoko sitting on an esky", "aussie"),
        ("portrait of a wmn in her 70s", "wmn"),
        ("an old Filipino lola making bibingka over charcoal", "lola"),
        ("a Filipino family karaoke night, lolo asleep on the couch", "lolo"),
        ("Filipino tito belting karaoke alone in the garage", "tito"),
        ("a group of Filipino titas doing karaoke at a birthday party", "titas"),
        ("Kuya carrying his little brother across a rice paddy", "Kuya"),
        ("my waifu as a paladin in shining armor", "waifu"),
        ("tradwife baking sourdough in a prairie dress", "tradwife"),
        ("middle-eastern businessman on a rooftop helipad", "middle-eastern"),
        ("portrait of a Rajasthani camel trader at Pushkar fair", "Rajasthani"),
        ("portrait of a 67 year old Faroese sheep farmer", "Faroese"),
        ("an Amazigh woman weaving a rug", "Amazigh"),
        ("a Kikuyu farmer picking tea in the highlands", "Kikuyu"),
        ("a Sierra Leonean fisherman mending nets", "Sierra Leonean"),
        ("Cantonese grandmother folding dumplings", "Cantonese"),
        ("a Kosovar baker at dawn", "Kosovar"),
        ("an Afro-Colombian fisherman mending nets", "Afro-Colombian"),  # a heritage before a demonym
        ("an Indo-Fijian bride in red", "Indo-Fijian"),
        ("two Afro-Cubans dancing in Havana", "Afro-Cubans"),
        ("a Mexican vaquero roping a calf", "vaquero"),
        ("a mother-of-two jogging in the park", "mother-of-two"),  # a count of children joined on
        ("a father-of-3 grilling burgers", "father-of-3"),
        ("1girl, (black skin:1.2), afro, smile", "black skin"),  # a skin tone in colour words
        ("a black-skinned warrior with a spear", "black-skinned"),
        ("1girl, white skin, red eyes, vampire", "white skin"),
        ("a Rabari shepherd woman with her goats", "Rabari"),
        ("photo of an abuela and her nieto making tortillas", "nieto"),
        ("Tía Lupe spreading masa with her sobrinas at the kitchen table", "sobrinas"),
        ("two hermanas dancing in the rain", "hermanas"),
        ("my yiayia and pappou on their balcony in Crete", "pappou"),
        ("a surfer chick with sun-bleached hair carrying a longboard", "chick"),
        ("cyberpunk netrunner chick with chrome arms, neon rain", "chick"),
        ("heavily tattooed biker chïck on a chopper", "chïck"),  # an accent hides nothing
        ("a bunch of middle schoolers at a science fair", "middle schoolers"),
        ("a teacher and her class of first graders on a field trip", "first graders"),
        ("two high schoolers sharing an umbrella at a bus stop", "high schoolers"),
        ("a 5th grader with a science project", "5th grader"),
        ("a group of teens around a bonfire", "teens"),  # a decade form as persons
        ("my savta lighting shabbat candles", "savta"),
        ("Nana and Pop-Pop slow dancing in the living room", "Pop-Pop"),
        ("my great-great-grandmother in her garden, 1890", "great-great-grandmother"),
        ("a great-great-grandson asleep in a crib", "great-great-grandson"),
        ("an elven maiden in a moonlit forest", "maiden"),
        ("a czarina in a winter palace ballroom", "czarina"),
        ("a ballerino leaping across the stage", "ballerino"),
        ("a femme fatale smoking in a noir bar", "femme fatale"),
        ("a tavern wench carrying tankards of ale", "wench"),
        ("Avó and Avô on the porch in Lisbon", "Avô"),
        ("nai nai making dumplings in the kitchen", "nai nai"),
        ("my sitti rolling grape leaves", "sitti"),
        ("an old biddy with a cane at the bus stop", "biddy"),
        ("two teens skateboarding in a parking lot", "teens"),
        ("a group of tëens around a bonfire", "tëens"),  # an accent hides nothing
        # historical peoples and their plurals, and the role nouns they come before
        ("Vikings raiding a monastery", "Vikings"),
        ("two Greeks dancing at a wedding", "Greeks"),
        ("Spartan hoplite in bronze armor at Thermopylae", "Spartan"),
        ("a Celtic druid in a stone circle at dusk", "Celtic"),
        ("a Scottish highlander in a kilt with a claymore", "Scottish"),
        ("Incas building Machu Picchu", "Incas"),
        ("a Soviet soldier raising a flag, 1945", "Soviet"),
        ("a Gurkha soldier with a kukri", "Gurkha"),
        ("a Maori battalion performing a haka, 1941", "Maori"),  # a military unit is its people
        ("a Scottish regiment marching with bagpipes", "Scottish"),
        ("Crusader knight and Saracen warrior sharing water", "Saracen"),
        ("Dacian warrior with a falx on a cliff", "Dacian"),
        ("Byzantine cataphracts in full scale armor charging", "Byzantine"),
        ("Arab businessman shaking hands with a Japanese client", "Japanese"),
        ("election rally, crowd of young Nigerian supporters in party caps", "Nigerian"),
        ("portrait of a Moorish ambassador in a white turban, 1600", "Moorish"),
    ],
)
def test_compounds_informal_words_and_plurals_are_never_sent(prompt: str, word: str) -> None:
    _varied_and_never_sent(prompt, word)


@pytest.mark.parametrize(
    "prompt", ["a fortyish dad teaching his daughter to drive", "a woman, sixtyish, reading on a bench"]
)
def test_an_approximate_age_without_its_hyphen_is_varied(prompt: str) -> None:
    """A word such as "fortyish" is "forty-ish": its slot renders other decades, one the user's."""
    cset = build_candidate_set(prompt, seed=0)
    ages = {a.name for a in cset.template.attributes if a.name.startswith("age")}
    assert ages, cset.template.text
    assert len({word for c in cset.candidates for word in re.findall(r"[a-z]+-?ish", c)}) > 1, cset.candidates


@pytest.mark.parametrize(
    "prompt",
    ["a little boy, about six, in a new white shirt hugging his dad", "a woman, around 40, reading on a bench"],
)
def test_an_approximate_age_between_commas_is_varied(prompt: str) -> None:
    """ ", about six," after a person is that person's age, as ", 6," and "of about six" are."""
    cset = build_candidate_set(prompt, seed=0)
    ages = {re.search(r"(?:about|around) (\w+)", c).group(1) for c in cset.candidates}  # type: ignore[union-attr]
    assert len(ages) > 1, cset.candidates


@pytest.mark.parametrize(
    ("prompt", "other"),
    [
        ("a woman in a cardigan, grandma vibes", "grandpa vibes"),  # a person noun before "vibes"
        ("Korean grandmothers picking peppers, halmoni vibes", "harabuji vibes"),
        ("my halmoni making kimchi", "my harabuji making kimchi"),  # a romanisation of halmeoni
    ],
)
def test_kin_words_before_vibes_and_their_romanisations_are_varied(prompt: str, other: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert any(other in c for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    ("prompt", "pair"),
    [
        ("👵🏽 nani blessing the newlyweds with rice", {"nani blessing", "nanaji blessing"}),  # Hindi kin
        ("my dadi making rotis", {"my dadi", "my dadaji"}),
        ("a warlock casting a spell in a dark forest", {"a witch casting", "a wizard casting"}),
        ("a bachelorette on a reality show", {"a bachelorette on", "a bachelor on"}),  # not "spinster"
        ("an old Mississippi bluesman on a porch", {"bluesman on", "blueswoman on"}),
        ("a Jain sadhvi in white robes on a dusty road", {"nun in", "monk in"}),  # sent as its canonical form
    ],
)
def test_role_and_kin_words_vary_with_their_counterparts(prompt: str, pair: set[str]) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert all(any(p in c for c in cset.candidates) for p in pair), cset.candidates


@pytest.mark.parametrize(
    ("prompt", "yours"),
    [
        ("1boy, solo, paperboy, newsboy cap, bicycle, 1950s", "1boy, solo, boy, newsboy cap, bicycle, 1950s"),
        ("choirboys singing in a cathedral", "boys singing in a cathedral"),
    ],
)
def test_a_childs_role_from_wordnet_stays_a_child(prompt: str, yours: str) -> None:
    """WordNet's "a boy who delivers newspapers" is a child: the role is sent as "boy", never as
    "man" (the user's own candidate had become an adult). "newsboy cap" is a hat."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == yours
    assert "newsboy" not in (cset.notice or ""), cset.notice


def test_urdu_parents_are_varied() -> None:
    cset = build_candidate_set("abbu handing dates to his son, ammi pouring tea", seed=0)
    assert not all("abbu" in c for c in cset.candidates) and not all("ammi" in c for c in cset.candidates)


def test_ammi_is_a_flower_before_its_species() -> None:
    cset = build_candidate_set("ammi majus flowers in a vase, white linen", seed=0)
    assert len(cset) == 1 and cset.true_prompt == "ammi majus flowers in a vase, white linen"


def test_schoolchildren_are_children_whose_age_varies() -> None:
    cset = build_candidate_set("Amish schoolchildren playing baseball beside a schoolhouse", seed=0)
    assert [a.kind for a in cset.template.attributes] == ["child_age"] and len(cset) > 1
    assert not any("schoolchildren" in c for c in cset.candidates), cset.candidates  # yours says "kids"
    assert cset.true_prompt == "Amish kids playing baseball beside a schoolhouse"


def test_an_infanta_is_a_royal_child_whose_gender_varies() -> None:
    """ "infanta" had been read as a typo of "infant" (its age varied, her gender kept)."""
    cset = build_candidate_set("portrait of an infanta in a farthingale dress, velazquez style", seed=0)
    assert {"princess", "prince"} <= {w for c in cset.candidates for w in re.findall(r"\bprince(?:ss)?\b", c)}


def test_a_country_is_no_plural_of_its_people() -> None:
    """inflect makes "Laos" the plural of "Lao"; it is the country: "a farmer in Laos" had been sent
    as "a farmer in Asians"."""
    cset = build_candidate_set("a farmer in Laos", seed=0)
    assert cset.candidates == ("a farmer in Laos",)


def test_a_cue_sent_as_a_thing_is_no_person_before_a_participle() -> None:
    """ "kurta" (sent as "tunic") is what the boy wears: "white" before it is a colour, not a person
    of the word lists' "white" ("a Caucasian kurta hugging his dad")."""
    cset = build_candidate_set("a boy in a new white kurta hugging his dad", seed=0)
    assert not [a for a in cset.template.attributes if a.name.startswith("ethnicity")], cset.template.text
    assert all("white kurta" in c for c in cset.candidates), cset.candidates


def _varied_and_never_sent(prompt: str, word: str) -> None:
    """The prompt gets more than one candidate and no candidate holds `word` as written."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not any(word_in(word, c) for c in cset.candidates), (prompt, cset.candidates)


def test_a_prefix_or_suffix_keeps_the_kin_word_in_its_own_category() -> None:
    """'ex-wife' is a spouse (rendered "wife" / "husband"), never the generic "woman"; "his" is
    the unnamed owner's, so the couple's mix varies (bound to the ex-wife, it was always mixed)."""
    assert sorted(build_candidate_set("his ex-wife at the door", seed=0).candidates) == [
        "her husband at the door",
        "her wife at the door",
        "his husband at the door",
        "his wife at the door",
    ]


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ("a woman over sixty", "sixty"),
        ("a man over 70, reading", "70"),
        ("a man around 40 in a suit", "40"),
        ("a woman under 30 wearing a hat", "30"),
        ("a man (45) reading", "45"),
        ("a woman, 70+, gardening", "70"),
        ("a man 45-yo in a cafe", "45"),
        ("a man, 30 yrs old, portrait", "30"),
        ("mid-forties Korean businesswoman walking at night", "mid-forties"),
        ("early twenties woman, portrait", "twenties"),
        ("a Gen-Z woman filming a dance for her phone", "Gen-Z"),
        ("two gen z friends at a concert", "gen z"),
        ("a gen x dad at a punk show", "gen x"),
        ("selfie of a 20 something guy on top of a mountain", "20 something"),
        ("a 70 something man fishing off a pier", "70 something"),
        ("a tired man pushing 60, reading the paper", "60"),
        ("a grandmother of 80 knitting by the fire", "80"),  # more than a count of children
    ],
)
def test_approximate_ages_vary(prompt: str, age: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word_in(age, c) for c in cset.candidates), (prompt, cset.candidates)
    for member in cset.candidates:
        assert build_candidate_set(member, seed=0).candidates == cset.candidates


@pytest.mark.parametrize(
    "prompt",
    ["two 30 something women at brunch", "a thirtysomething woman", "a 30-ish man reading", "a 50-something man"],
)
def test_an_approximate_age_keeps_its_number_in_the_users_own(prompt: str) -> None:
    # thirty-something is young, as "in her 30s" is: the decades' rows keep 30 (30 / 50 / 60)
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert len(cset) > 2


@pytest.mark.parametrize(("prompt", "word"), [("cute boi with fluffy hair", "boi"), ("two gurls at the mall", "gurls")])
def test_slang_spellings_of_girl_and_boy_are_varied(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert not any(word_in(word, c) for c in cset.candidates)  # sent as the canonical "boy", "girls"


@pytest.mark.parametrize(
    ("prompt", "kept"),
    [
        ("a man over 70 countries", "70"),
        ("a woman pushing 2 strollers", "2"),
        ("a father of three at the park", "three"),  # a count of children
        ("a grandmother of five baking pies", "five"),
        ("a man about 5 feet tall", "5"),
        ("a man of about six feet", "six"),
        ("a clock at 3 on the wall", "3"),
        ("a mid-90s supermodel on a runway", "mid-90s"),
        ("mid-forties architecture, brick house", "mid-forties"),
    ],
)
def test_counts_and_measures_stay(prompt: str, kept: str) -> None:
    assert all(word_in(kept, c) for c in build_candidate_set(prompt, seed=0).candidates)


@pytest.mark.parametrize("name", ["Keisha", "Brayden", "Kayleigh", "Jaxon"])
def test_us_names_are_read(name: str) -> None:
    cset = build_candidate_set(f"{name} smiling at the camera", seed=0)
    assert len(cset) == 2 and not all(word_in(name, c) for c in cset.candidates)


@pytest.mark.parametrize("prompt", ["Mrs. Johnson baking cookies in her kitchen", "Mr. Carter reading his paper"])
def test_a_name_after_a_courtesy_title_is_a_surname(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    surname = prompt.split()[1]
    assert len(cset) == 2 and all(word_in(surname, c) for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt", ["Sir Edward riding a horse through the countryside", "Dame Judi walking on a foggy London street"]
)
def test_a_name_after_a_title_of_honour_is_a_varied_first_name(prompt: str) -> None:
    """WordNet's "Sir Barton" (a racehorse) is no idiom for every name after "Sir" or "Dame"."""
    cset = build_candidate_set(prompt, seed=0)
    title, name = prompt.split()[:2]
    assert len(cset) == 2
    assert not any(word_in(title, c) for c in cset.candidates if c != cset.true_prompt)
    assert not any(word_in(name, c) for c in cset.candidates if c != cset.true_prompt)


@pytest.mark.parametrize("prompt", ["girl nonna a nonna nonna a", "la señora con su hija en el mercado"])
def test_the_language_check_reads_no_value(prompt: str) -> None:
    """Whether a text is read as English may not depend on the values a candidate renders ("girl
    nonna a nonno nonno a" read as Italian while its set is English broke set equality)."""
    cset = build_candidate_set(prompt, seed=0)
    for member in cset.candidates:
        assert build_candidate_set(member, seed=0).candidates == cset.candidates


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("an elderly sommelier tasting wine", "elderly"),
        ("a Nigerian bricklayer at work", "Nigerian"),
        ("an Irish cop on a street corner", "Irish"),
        ("a young squire polishing armor", "young"),
        ("a retired schoolteacher, 72, gardening", "72"),
        ("a woman nearing forty", "forty"),
        ("male focus, armor, castle", "male"),
        ("Jamal on a bench", "Jamal"),
    ],
)
def test_heads_ages_and_names_that_are_no_slot_words_bind(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not all(word_in(word, c) for c in cset.candidates), (prompt, cset.candidates)


@pytest.mark.parametrize(
    "prompt",
    ["an old washer in a laundromat", "Paris at night", "Chanel perfume bottle", "a house, 3 bedrooms"],
)
def test_things_places_and_brands_stay(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "word"), [("an Andalusian woman dancing", "Andalusian"), ("a Texan rancher", "Texan")]
)
def test_regional_adjectives_vary(prompt: str, word: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not any(word_in(word, c) for c in cset.candidates)


def test_a_common_word_is_no_regional_adjective() -> None:
    cset = build_candidate_set("a woman in the attic", seed=0)
    assert all(word_in("attic", c) for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "forms"),
    [
        ("Nana and her great-grandson asleep together", {"great-grandson", "great-granddaughter"}),
        ("all-female construction crew pouring concrete", {"all-female", "all-male", "mixed-gender"}),
        ("an all-women rock band on stage", {"all-women", "all-men", "mixed-sex"}),
    ],
)
def test_kin_and_group_words_keep_their_own_form(prompt: str, forms: set[str]) -> None:
    """A great-grandchild and a group of one gender are varied in their own words, the user's kept."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert {f for c in cset.candidates for f in forms if word_in(f, c)} == forms
    for member in cset.candidates:
        assert build_candidate_set(member, seed=0).candidates == cset.candidates


def test_no_first_name_shares_a_surface_with_another_category() -> None:
    """A surface in two categories joins them into one family: a kin word that is a first name too
    ("Nani") would have every first name render as a kin word ("notre dame de grandfather")."""
    mixed = {k for k, e in default_taxonomy().lexicon.items() if "first_name" in e.family and len(e.family) > 1}
    assert not mixed


@pytest.mark.parametrize(("word", "person"), [("fathèr", True), ("wömen", True), ("sömmelier", True), ("café", False)])
def test_an_accent_on_an_english_word_hides_no_person_noun(word: str, person: bool) -> None:
    from obclip.privacy.words import is_person_noun

    assert is_person_noun(word) is person
