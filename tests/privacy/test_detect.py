"""Detection: which words become slots, how pronouns bind, articles, persons and the template."""

from __future__ import annotations

import importlib

import pytest
from tests.privacy.test_invariant import assert_closed, assert_some_closed

from obclip.errors import InvalidInputError
from obclip.privacy import Template, build_candidate_set, candidate_count, default_taxonomy, detect


def candidates(prompt: str, **kwargs) -> set[str]:
    return set(build_candidate_set(prompt, seed=0, **kwargs).candidates)


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t "])
def test_empty_prompt_is_invalid_input(prompt: str) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        detect(prompt)


def test_non_string_prompt_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        detect(b"a man")  # type: ignore[arg-type]


def test_template_text_names_the_slots() -> None:
    template = detect("portrait of a young African woman")
    assert isinstance(template, Template)
    assert str(template) == "portrait of {article_0} {age_0} {ethnicity_0} {gender_0:noun_singular}"
    assert [(a.name, a.kind, a.person) for a in template.attributes] == [
        ("age_0", "age", 0),
        ("ethnicity_0", "ethnicity", 0),
        ("gender_0", "gender", 0),
    ]
    assert template.true_values == ("young", "african", "female")
    assert template.public().true_values is None
    assert template.public() == template
    assert "'african', 'female'" not in repr(template)


@pytest.mark.parametrize(
    "prompt",
    [
        "a human settlement",
        "womanhood",
        "a man-made lake",
        "an old-fashioned radio",
        "Romanian food",
        "a white shirt on a black background",
        "black and white photo of a street",
        "a brown dog",
        "an old lighthouse",
        "queen bee on a flower",
        "a king size bed",
        "Isle of Man ferry",
        "mother of pearl buttons",
        "Indian ink drawing",
        "a 100-year-old oak tree",
        "shemale",
        "history",
        "the hereafter",
    ],
)
def test_words_that_only_contain_attribute_words_are_not_slots(prompt: str) -> None:
    cset = build_candidate_set(prompt)
    assert len(cset) == 1
    assert cset.candidates == (prompt,)
    assert cset.notice == "no sensitive attribute detected: N = 1, nothing is hidden"


def test_case_spacing_plural_and_hyphen_forms_are_detected() -> None:
    # a word in title case keeps its capital in every candidate; one in capitals throughout does not
    assert candidates("young AFRICAN  Woman") >= {"young African Woman", "old Asian Man"}
    assert candidates("two MIDDLE  aged WOMEN") == {
        f"two {age} {noun}" for age in ("young", "middle-aged", "old") for noun in ("women", "men", "men and women")
    }
    assert detect("a middle-aged man").true_values == ("middle-aged", "male")
    assert detect("an elderly gentleman").true_values == ("old", "male")


def test_pronouns_follow_the_person_they_refer_to() -> None:
    assert candidates("a man holding his hat") == {"a man holding his hat", "a woman holding her hat"}
    assert candidates("she smiles at herself, her hat is hers") == {
        "she smiles at herself, her hat is hers",
        "he smiles at himself, his hat is his",
    }


def test_her_before_a_noun_is_possessive_otherwise_object() -> None:
    assert candidates("hand her the cup") == {"hand her the cup", "hand him the cup"}
    assert candidates("her hair in the wind") == {"her hair in the wind", "his hair in the wind"}
    assert candidates("a portrait of her") == {"a portrait of her", "a portrait of him"}
    assert candidates("let her go") == {"let her go", "let him go"}
    assert candidates("give her her hat") == {"give her her hat", "give him his hat"}
    assert candidates("the choice is his") == {"the choice is his", "the choice is hers"}


def test_a_word_both_verb_and_noun_after_a_preposition_and_her_is_her_noun() -> None:
    """ "died in his sleep": after a preposition the word is a noun and "his" its determiner; read as
    "let her sleep", the user's "his" had been sent as "him" ("in him sleep")."""
    assert candidates("my grandpa died in his sleep") == {
        "my grandpa died in his sleep",
        "my grandma died in her sleep",
    }
    assert candidates("a girl with her smile") == {"a girl with her smile", "a boy with his smile"}
    assert candidates("let her sleep") == {"let her sleep", "let him sleep"}
    assert candidates("music to help her sleep") == {"music to help her sleep", "music to help him sleep"}
    # a preposition before the pronoun and no such word after it: an object as before
    assert candidates("a pic of her as an angel") == {"a pic of her as an angel", "a pic of him as an angel"}
    assert candidates("a selfie with him at the table") == {
        "a selfie with him at the table",
        "a selfie with her at the table",
    }


@pytest.mark.parametrize(
    "prompt", ["a man holding her hat", "a fisherman mending her nets", "Mrs. Johnson baking in his kitchen"]
)
def test_a_pronoun_that_disagrees_with_the_only_person_of_its_sentence_is_refused(prompt: str) -> None:
    with pytest.raises(InvalidInputError, match="disagrees with"):
        build_candidate_set(prompt)


def _mixes(prompt: str) -> tuple[set[tuple[str, ...]], int]:
    """The persons' gender values over the candidates of `prompt` (each read back), and how many
    persons there are; every pronoun that may speak of several persons must equal one of them."""
    cset = build_candidate_set(prompt, seed=0)
    persons = [a.name for a in cset.attributes if a.kind == "gender" and not a.agrees_with]
    mixes = set()
    for candidate in cset.candidates:
        again = detect(candidate)
        values = dict(zip((a.name for a in again.attributes), again.true_values or (), strict=True))
        for attribute in again.attributes:
            if attribute.agrees_with:
                assert values[attribute.name] in {values[n] for n in attribute.agrees_with}, candidate
        mixes.add(tuple(values[n] for n in persons))
    return mixes, len(persons)


@pytest.mark.parametrize(
    "prompt",
    [
        "a bride and groom at the altar, her veil lifted",
        "a man and a woman; she holds his cup",
        "A man and a woman walk along the beach. He smiles.",
        "an aunt and her nephew on a roller coaster, she is screaming, he is bored",
        "a girl in a Sunday dress. Her grandfather, a tall man in a hat, holds her hand and looks at her.",
        "an old couple in a diner booth, she is doing the crossword, he is stealing her fries",
        "an old couple, he holds her hand, she smiles",
        "a Hindu couple at their wedding walking around the fire, her red sari, his white kurta",
        "a young couple, his arm around her, her head on his chest",
        # two persons named by nouns of no gender
        "a doctor and a nurse in a hallway, she is writing notes, he laughs",
        # the pair's pronouns in the next sentence
        "An old married couple dances in their living room. He wears slippers, she rests her head on his chest.",
        # an object pronoun after the one person of its clause may speak of another ("behind him")
        "a bearded man knitting on a train, a little girl across the aisle watching him",
    ],
)
def test_a_pronoun_after_two_persons_may_speak_of_either_so_their_gender_mix_varies(prompt: str) -> None:
    """Bound to the nearest person that agrees by value, the persons a pronoun passed had to differ
    from it in every candidate: "her veil" kept a bride and a groom, one of each, in every
    candidate, which told the cloud the couple's mix. Read from positions only, the pronoun now
    equals one of the persons named before it, and the mix varies over every combination."""
    mixes, persons = _mixes(prompt)
    assert persons >= 2
    assert len(mixes) == 2**persons
    assert_closed(prompt, seed=0)


def test_a_pronoun_after_the_one_person_of_its_clause_is_that_persons() -> None:
    """ "..., my mum cries every time she sees it": no mark parts "she" from "mum", the one person of
    its clause, so it is hers, as the one person of a sentence is. Free among the three persons
    named before, it had been sent as "my mum cries every time he sees it"."""
    prompt = "restore it, the bride in white lace and my dad in agbada, my mum cries every time she sees it"
    found = candidates(prompt)
    assert len(found) == 8  # three persons, no pronoun of its own
    for candidate in found:
        assert ("my mum cries every time she" in candidate) or (
            "every time he" in candidate and "my mum" not in candidate
        )
    assert_closed(prompt, seed=0)


def test_a_pronoun_that_may_speak_of_either_person_is_a_variable_that_agrees_with_one() -> None:
    template = detect("a man and a woman; she holds his cup")
    assert [(a.name, a.agrees_with) for a in template.attributes] == [
        ("gender_0", ()),
        ("gender_1", ()),
        ("gender_2", ("gender_0", "gender_1")),
        ("gender_3", ("gender_0", "gender_1")),
    ]
    found = candidates("a man and a woman; she holds his cup")
    assert len(found) == 2 + 2 * 2 * 2  # two couples of one gender, two mixed ones with either pronoun
    assert {"a woman and a woman; she holds her cup", "a man and a woman; he holds his cup"} <= found
    assert not any(c.startswith("a man and a man") and "she" in c for c in found)


def test_past_four_such_pronouns_the_nearest_person_that_agrees_binds_again() -> None:
    """Each free pronoun doubles a mixed couple's candidates; the fifth binds by the nearest-person
    rules: "he", disagreeing with the woman, is the man's, who then differs from her in every
    candidate (a cost in privacy that the judge counts, bounded in N)."""
    prompt = "a man and a woman at a table, her cup in his hand, his hat on her head, he laughs"
    template = detect(prompt)
    free = [a for a in template.attributes if a.agrees_with]
    assert len(free) == 4
    assert any(a.differs_from for a in template.attributes)
    assert_closed(prompt, seed=0)


def test_his_back_is_a_body_part() -> None:
    prompt = "an old priest watches from the doorway with his hands behind his back"
    assert build_candidate_set(prompt, seed=0).true_prompt == prompt  # not "behind him back"


def test_a_pronoun_before_any_person_or_in_a_later_sentence_is_another_person() -> None:
    assert candidates("she smiles at a man") == {"she smiles at a man", "he smiles at a woman"}
    assert candidates("A man waits. She waves") == {"A man waits. She waves", "A woman waits. He waves"}


PRONOUNS = {
    "he": "male",
    "him": "male",
    "his": "male",
    "himself": "male",
    "she": "female",
    "her": "female",
    "hers": "female",
    "herself": "female",
}


def genders(text: str) -> list[str]:
    words = text.lower().replace(",", " ").replace(";", " ").replace(".", " ").split()
    nouns = {"man": "male", "woman": "female", "actor": "male", "actress": "female", "mr": "male", "ms": "female"}
    nouns |= {"grandson": "male", "granddaughter": "female"}
    return [PRONOUNS.get(w) or nouns.get(w, "") for w in words]


@pytest.mark.parametrize(
    "prompt",
    [
        "a man holding his hat",
        "his hat",
        "With her hat, a woman waits",
        "he and she",
        "a man and a woman; she hands him her cup",
        "a woman. He smiles at her",
        "an actress on a red carpet, her dress flowing",
        "Mrs. Lee and her grandson",
    ],
)
def test_no_pronoun_stays_fixed_while_a_gender_varies(prompt: str) -> None:
    members = candidates(prompt)
    pattern = [bool(g) for g in genders(prompt)]
    for position, gendered in enumerate(pattern):
        if gendered:
            assert len({genders(member)[position] for member in members}) == 2, (prompt, position)
    single_person = {
        "a man holding his hat",
        "With her hat, a woman waits",
        "an actress on a red carpet, her dress flowing",
    }
    if prompt in single_person:
        assert all(len(set(filter(None, genders(member)))) == 1 for member in members)


def test_articles_agree_with_the_word_after_them() -> None:
    assert candidates("an old man") >= {"a young man", "a middle-aged man", "an old man"}
    assert candidates("a Asian girl") >= {"an Asian girl", "a European girl", "an Indian girl", "an African girl"}
    assert candidates("A old man. An young woman") >= {"An old man. A young woman"}
    assert candidates("an hour with an old man") >= {"an hour with a young man"}


def test_every_person_gets_its_own_slots() -> None:
    template = detect("a young man and an old woman")
    assert [a.name for a in template.attributes] == ["age_0", "gender_0", "age_1", "gender_1"]
    assert len(build_candidate_set("a young man and an old woman")) == 36
    template = detect("A young, smiling African woman and her son")
    assert [(a.name, a.person) for a in template.attributes] == [
        ("age_0", 0),
        ("ethnicity_0", 0),
        ("gender_0", 0),
        ("gender_1", 1),
    ]


def test_a_pronoun_binds_to_the_nearest_preceding_person() -> None:
    template = detect("an old man and his dog, he smiles")
    pronoun = template.attributes[template.parts[-2].attribute]
    assert pronoun.name == "gender_0"
    assert [a.name for a in detect("she smiles at a woman").attributes] == ["gender_0"]
    assert [a.differs_from for a in detect("she smiles at a man").attributes] == [("gender_1",), ()]
    assert candidates("she smiles at a man") == {"she smiles at a man", "he smiles at a woman"}


def test_non_sensitive_text_is_kept_as_written() -> None:
    cset = build_candidate_set("Portrait  of a young woman,   85mm (bokeh) {cinematic}")
    for member in cset.candidates:
        assert member.startswith("Portrait  of a")
        assert member.endswith(",   85mm (bokeh) {cinematic}")
    slots = "{article_0} {age_0} {gender_0:noun_singular}"
    assert str(cset.template) == f"Portrait  of {slots},   85mm (bokeh) {{{{cinematic}}}}"


def test_sentence_initial_capital_is_kept_only_where_the_user_wrote_one() -> None:
    assert candidates("She smiles. he laughs") == {"She smiles. he laughs", "He smiles. she laughs"}
    assert candidates("Old man") >= {"Young man", "Middle-aged woman"}
    assert candidates("a WOMAN") == {"a woman", "a man"}


@pytest.mark.parametrize(
    "prompt",
    [
        "Mexican luchador in a gold mask posing on the ropes",
        "a stylish Congolese sapeur in a pink three-piece suit strutting down a street",
        "oil painting of an Afro-Brazilian capoeira mestre mid-kick",
        "Brazilian capoeirista mid kick on the beach in Salvador, berimbau in the background",
        "a Georgian tamada raising a wine horn at a supra, candlelight",
        "a Georgian tamada raïsing a wine horn at a supra",  # an accent hides nothing
        "Brazilian capoeirista mïd kick on the beach",
        "a Yoruba babalawo casting the divination chain, dim room",
        # a noun of an agent, doing something
        "an old Cuban torcedor rolling cigars at a wooden bench",
        "a young Andalusian zapatero mending boots in his workshop",
    ],
)
def test_a_people_before_a_role_no_list_knows_is_varied_where_the_role_is_worn_or_acts(prompt: str) -> None:
    """A people's word before a word no list knows, then what a person wears, a mid-action or an act
    on what an article opens: the word is a role in another language, and the people is the
    person's (it went out in clear)."""
    cset = build_candidate_set(prompt, seed=0)
    assert "ethnicity" in [a.kind for a in cset.attributes]


@pytest.mark.parametrize(
    "prompt",
    [
        "a bowl of Mexican pozole in a clay pot",
        "Vietnamese pho in a white bowl, herbs",
        "Korean bibimbap with a fried egg",
        "Korean bibimbap sizzling in a stone pot",
        "a Thai tuk-tuk carrying tourists through Bangkok at night",
        "a Vietnamese pho steaming on a plastic table",
    ],
)
def test_a_people_before_a_dish_no_list_knows_stays_food(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) == 1


@pytest.mark.parametrize(
    ("prompt", "varied"),
    [
        ("she is black, portrait in a garden", True),
        ("a young couple, he is asian and she is black, wedding photo", True),
        ("the man is black and tall", True),
        ("a woman who is white, studio light", True),
        ("her hair is black, portrait", False),  # said of a thing
        ("the cat is black", False),
        ("she's black, portrait in a garden", True),  # a copula joined to its pronoun
        ("the girl's black hair in the wind", False),  # a possessive, not a copula
        # capitalised and alone between commas in a list about a person: a people's word
        ("ecommerce, plus size woman, 40s, Black, linen jumpsuit, full body", True),
        ("1girl, White, freckles, sundress", True),
        ("a woman, black, linen jumpsuit", False),  # not capitalised: the colour of what follows
        ("product photo, sneakers, Black, White, Red colorway", False),  # no person
    ],
)
def test_a_colour_word_said_of_a_person_by_a_copula_is_an_ethnicity(prompt: str, varied: bool) -> None:
    """The words "black" and "white" describe a person only before a person noun or after a copula
    whose subject is one; said of hair or a cat they stay colours."""
    template = detect(prompt)
    kinds = {a.kind for a in template.attributes}
    assert ("ethnicity" in kinds) is varied, template.text


@pytest.mark.parametrize(
    ("prompt", "varied"),
    [
        ("generate my squad: me (brown guy, beard) and my friend as 90s rappers", True),
        ("brown girl with curly hair, golden hour", True),
        ("she is brown and beautiful, portrait", True),
        ("a girl with brown hair and brown eyes", False),
        ("a brown bear in a river", False),
        ("a man in a brown leather jacket", False),
        ("brown and white dog on a porch", False),
    ],
)
def test_brown_before_a_person_is_a_skin_tone(prompt: str, varied: bool) -> None:
    """ "a brown guy" names his skin as "brown-skinned" does; it had gone out in clear in every
    candidate. As a colour ("brown hair", "a brown bear") it is strict, as "black" and "white" are."""
    template = detect(prompt)
    assert ("skin" in {a.kind for a in template.attributes}) is varied, template.text
    if varied:
        assert_closed(prompt, seed=0)


def test_past_the_set_limit_pronouns_bind_to_the_nearest_person_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A family of many persons whose free pronouns would take the set past `_FREE_SET_LIMIT` is
    read as before (N stays what it was, so a prompt is answered within seconds), and stays closed."""
    prompt = (
        "a family portrait: a grandmother, a grandfather, a mother, a father, an aunt and an uncle, "
        "a son and a daughter at a table, her cup in his hand"
    )
    module = importlib.import_module("obclip.privacy.detect")
    with monkeypatch.context() as unlimited:
        unlimited.setattr(module, "_FREE_SET_LIMIT", 10**9)
        free = module._Detector(prompt, default_taxonomy()).template()
    assert any(a.agrees_with for a in free.attributes)
    assert candidate_count(free) > module._FREE_SET_LIMIT
    template = detect(prompt)
    assert not any(a.agrees_with for a in template.attributes)
    assert candidate_count(template) <= module._FREE_SET_LIMIT
    assert_some_closed(prompt, seed=0)
    few = detect("a mother and a father at a table, her cup in his hand")
    assert any(a.agrees_with for a in few.attributes)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("pic of 2 old guys playing chess in the park, one is black one is white, realistic photo", "black"),
        ("a middle-aged gay couple at a farmers market, one is Black, one is Korean, they share a peach", "Black"),
        ("two girls, one Black and one white, laughing on a swing", "Black"),
        ("two elderly women share tea on a porch swing. One is Black with short silver curls", "Black"),
    ],
)
def test_a_colour_said_of_one_of_a_group_of_persons_is_their_skin(prompt: str, word: str) -> None:
    """ "one is Black" after a couple or two persons: sent in clear in every candidate before (a
    colour word is read as a people's only where it is said of a person)."""
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word in c for c in cset.candidates)
    assert_some_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["a woman with two cats, one is black", "two cups, one is black one is white"])
def test_a_colour_said_of_one_of_a_group_of_things_stays(prompt: str) -> None:
    assert all("black" in c for c in build_candidate_set(prompt, seed=0).candidates)


def test_the_users_own_age_after_i_am_is_varied() -> None:
    prompt = "I'm 45, draw me as a knight in shining armour"
    cset = build_candidate_set(prompt, seed=0)
    assert not all("45" in c for c in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        # "me 24": the number had gone out in clear
        "couple pic for our insta, me 24 and my boyfriend 27, picnic in the park",
        # "me, 24,": read as the boyfriend's age, the two ages had shared one slot
        "couple pic for our insta, me, 24, and my boyfriend, 27, picnic in the park",
    ],
)
def test_a_number_right_after_me_is_the_users_own_age(prompt: str) -> None:
    template = detect(prompt)
    ages = [a for a in template.attributes if a.kind == "age"]
    assert len(ages) == 2 and len({a.person for a in ages}) == 2
    cset = build_candidate_set(prompt, seed=0)
    assert not all("24" in c for c in cset.candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "label"),
    [
        # "Kling" had been read as a typo of "king": sent as "King:", beside a decoy "Queen:"
        ("Kling: close up of a 70 year old Japanese man smiling slowly, deep wrinkles", "Kling:"),
        ("Kling 1.6 image to video: a firefighter carrying a child out of thick smoke", "Kling 1.6 image to video:"),
        ("Sora: a woman walking through Tokyo at night, neon, rain", "Sora:"),  # a first name too
    ],
)
def test_a_generators_name_labelling_a_prompt_is_no_person(prompt: str, label: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and all(c.startswith(label) for c in cset.candidates), cset.candidates
    assert cset.true_prompt.startswith(label)
    # nor is it told as a word in clear ("Sora" had been "gender word sent unchanged")
    assert not any(r.word in label for r in cset.residual), cset.residual
    assert_closed(prompt, seed=0)


def test_a_label_that_names_no_generator_is_read_as_before() -> None:
    assert not all(
        c.startswith("Emma:") for c in build_candidate_set("Emma: a portrait in the rain", seed=0).candidates
    )


def test_a_long_word_opening_a_line_is_read_once() -> None:
    """The label rule, first written with an optional space between its words, tried every way of
    splitting an unbroken word at a line's start into six (a word of 60 letters took seconds, one of
    a few hundred would never have ended); its words now end at a space."""
    template = detect("x" * 3000 + " portrait of a woman\n" + "y" * 500 + ": a man")
    assert [a.kind for a in template.attributes] == ["gender", "gender"]


@pytest.mark.parametrize("prompt", ["a woman at 10:30 pm waiting for the bus", "a man at 7:45, commuting"])
def test_a_time_after_at_is_no_age(prompt: str) -> None:
    """ "at 10:30": the hour had been read as the person's age, a child's, and varied."""
    assert [a.kind for a in detect(prompt).attributes] == ["gender"]


def test_two_members_named_one_by_one_are_two_persons_whose_values_vary_apart() -> None:
    """ "one Italian one Puerto Rican" had been read as one person with two ethnicity words, which
    then differed in every candidate: the cloud learnt that the two were of two peoples."""
    template = detect("two grandmas racing mobility scooters, one Italian one Puerto Rican, carts crashing")
    ethnicities = [a for a in template.attributes if a.kind == "ethnicity"]
    assert len({a.person for a in ethnicities}) == 2
    assert not any(a.differs_from for a in ethnicities)


def test_a_place_name_that_is_a_first_name_alone_as_a_tag_is_the_place() -> None:
    """ ", Brooklyn,": a setting's tag, which had been varied as a girl's name beside the family."""
    template = detect(
        "a Hasidic Jewish family walking to synagogue on a snowy Saturday morning, Brooklyn, slow tilt down"
    )
    assert "Brooklyn" in template.text and not template.attributes
    named = detect("my daughter, Brooklyn, on the swing in the park")  # after a person word: her name
    assert "Brooklyn" not in named.text


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        ("pilgrims walking the Camino de Santiago, a 60-year-old German woman with a scallop shell", "Santiago"),
        ("a grandmother in a tunic feeding pigeons at the Gateway of India, Mumbai, morning haze", "India"),
        ("hotel bellboy carrying suitcases through a grand lobby in Budapest, Wes Anderson palette", "Anderson"),
        ("backpacker couple hitchhiking in Patagonia, thumb out, Fitz Roy behind, wind", "Roy"),
    ],
)
def test_a_name_that_ends_a_proper_noun_is_no_person(prompt: str, name: str) -> None:
    """ "the Camino de Santiago": read as a man's name, "Santiago" had been varied beside the woman,
    who then had to differ from him in every candidate."""
    assert all(name in c for c in build_candidate_set(prompt, seed=0).candidates)
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "Merry Christmas Emma, a girl by the tree",
        "Coach Maria with her team at the final whistle",
        "Portrait of Maria, 25",
        "my OC Maria, a navigator in her early 20s, steering a canoe",  # an acronym opens no proper noun
    ],
)
def test_a_name_after_a_greeting_a_title_or_at_the_start_is_still_a_name(prompt: str) -> None:
    name = "Emma" if "Emma" in prompt else "Maria"
    assert not all(name in c for c in build_candidate_set(prompt, seed=0).candidates)


def test_a_name_after_in_and_an_era_is_a_place() -> None:
    """ "in 1950s America": "America" is a first name too, and had been read as a woman's."""
    template = detect("a small-town diner in 1950s America, a waitress pouring coffee")
    assert [a.name for a in template.attributes] == ["gender_0"]
    assert "America" in template.text
