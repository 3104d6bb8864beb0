"""Person words that name no person, from WordNet (privacy/data/binding_wordnet.json): its
multiword nouns ("king cobra", "daddy longlegs") and the things a person noun can modify ("a baby
grand piano", "a mother giraffe"); real people next to the same words stay varied."""

from __future__ import annotations

import pytest
from tests.privacy.test_invariant import assert_closed

from obclip.privacy import build_candidate_set, default_taxonomy
from obclip.privacy.binding import (
    ALWAYS,
    _wordnet,
    animal_heads,
    binding,
    named_object_heads,
    object_heads,
    present_verbs,
)
from obclip.privacy.taxonomy import fold

PERSON_FREE = [
    "a daddy longlegs on the wall",
    "a king cobra in the grass",
    "an emperor penguin on the ice",
    "a baby grand piano in a concert hall",
    "a grandfather clock in a hallway",
    "two sister ships in the harbour",
    "a baby bird in a nest",
    "a guy rope on a tent",
    "a witch hazel shrub in bloom",
    "queen anne's lace in a meadow",
    "a mother giraffe at dawn",
    "a baby elephant, savanna, golden hour",
    "a king penguin colony",
    "a toy soldier and a baby doll on a shelf",
    "a queen triggerfish on a reef",
    # what a role or kin word names is worn as a thing
    "a newsboy cap on a hook",
    "maid headdress, maid apron, on a hanger",
    "a granny cardigan folded on a chair",
]

PERSONS = [
    "an old man fishing",
    "a queen on her throne",
    "a woman guitar player on stage",
    "a woman bus driver",
    "a girl in a school uniform",
    "japanese girl school uniform",
    "women fish in the river",
    "a baby sleeping in a crib",
    "a woman's hands holding a hat in the wind",
    "a poor boy begging",
    "a neanderthal man with a spear",
    "a mother and her baby",
    "a king in his castle",
    "a man walking his dog",
    "a woman holding a cat",
    "a boy scout camping",
    "a man can fish",
    "a grandmother baking bread",
    "a maid in an apron",
]


@pytest.mark.parametrize("prompt", PERSON_FREE)
def test_person_words_that_name_no_person_are_not_varied(prompt):
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.template


@pytest.mark.parametrize("prompt", PERSONS)
def test_real_people_next_to_the_same_words_are_still_varied(prompt):
    assert len(build_candidate_set(prompt, seed=0)) > 1
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize("prompt", ["an African shepherd boy with goats", "a Kurdish shepherd girl on a hillside"])
def test_an_idiom_ending_in_a_person_noun_before_a_gender_noun_names_a_person(prompt):
    """The idiom "German shepherd" is a dog whatever people's word opens it ("an African shepherd"
    stays as written); before "boy" or "girl" it names a person, whose people's word is varied."""
    cset = build_candidate_set(prompt, seed=0)
    assert "ethnicity" in {a.kind for a in cset.template.attributes}, cset.template.text
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "kinds"),
    [
        ("A young Japanese chef slices tuna at the counter", {"age", "ethnicity"}),
        ("an elderly teacher stands at the board", {"age"}),
        ("A Nigerian nurse checks a chart", {"ethnicity"}),
        ("A forty-year-old construction worker sits on a steel beam", {"age"}),
        ("An Inuit hunter stands at the edge of the sea ice", {"ethnicity"}),
        ("a 40-year-old plumber fixes a sink", {"age"}),
        # a word said only of a person ends the phrase too
        ("newborn twins asleep side by side in knitted hats", {"child_age"}),
    ],
)
def test_a_present_verb_after_a_person_noun_ends_the_phrase_of_the_modifier_before_it(prompt, kinds):
    """A verb in the present right after a singular person noun that no taxonomy word covers is
    its verb ("a young chef slices tuna"), so the modifier before the noun describes a person. It
    had been read as the head of the phrase ("chef slices", a thing), and the prompt went out as
    written. So does a word WordNet knows only as an adjective or adverb ("asleep")."""
    cset = build_candidate_set(prompt, seed=0)
    assert {a.kind for a in cset.template.attributes} == kinds, cset.template.text
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["an old lighthouse stands on a cliff", "a female doctor costume on a hanger", "an old tree grows"]
)
def test_a_present_verb_after_a_thing_leaves_the_modifier_to_the_thing(prompt):
    assert len(build_candidate_set(prompt, seed=0)) == 1


def test_the_present_verbs_are_third_person_forms_of_common_verbs():
    verbs = present_verbs()
    assert {"sits", "stands", "slices", "carries", "watches", "fixes", "smiles"} <= verbs
    assert not {"sit", "chef", "can", "cans", "wills"} & verbs


def test_the_compounds_join_the_idioms_and_end_in_a_person_noun_only_after_a_noun():
    taxonomy, rules = default_taxonomy(), binding()
    compounds = _wordnet()["compounds"]
    assert {"king cobra", "daddy longlegs", "emperor penguin", "sister ship", "gingerbread man"} <= set(compounds)
    ending = []
    for compound in compounds:
        assert compound in rules.idioms
        last = compound.replace("-", " ").split()[-1]
        for match in taxonomy.matcher.finditer(fold(last)):
            entry = taxonomy.lexicon[match.group()]
            if all(rules.rule(c) == ALWAYS for c in entry.categories):
                ending.append(compound)
    # those that end in a person noun are few, and none after an adjective ("poor boy": a person)
    assert 0 < len(ending) < 60, ending
    assert not {"old man", "poor boy", "neanderthal man", "black widow", "baby sitting", "old man's beard"} & set(
        compounds
    )


def test_the_object_heads_are_things_never_what_a_person_wears_nor_a_person_word():
    heads = object_heads()
    assert {"giraffe", "clock", "elephant", "robot", "duck"} <= heads
    assert not {"dress", "kimono", "uniform", "glasses", "necklace", "shoe", "hat", "wig", "cane"} & heads
    assert not {"man", "woman", "male", "baby", "monitor", "can", "will"} & heads


def test_the_animal_heads_are_the_object_heads_that_name_animals():
    animals = animal_heads()
    assert {"dog", "cat", "retriever", "hedgehog", "kitten", "parrot"} <= animals
    assert animals <= object_heads() | named_object_heads()
    # no thing, plant or food, and no part of an animal's body ("his tail" is the animal's)
    assert not {"car", "clock", "rose", "cake", "lap", "hat"} & animals
