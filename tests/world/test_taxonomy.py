from __future__ import annotations

from obclip.privacy import PRONOUN_CATEGORIES
from obclip.world import SENSITIVE, WORLD_ATTRIBUTES, world_taxonomy


def test_privacy_reads_the_world_taxonomy_in_slot_order() -> None:
    tax = world_taxonomy()
    assert tax.source.endswith("world/taxonomy.json")
    assert [a.name for a in tax.attributes] == ["gender", "age", "skin"] == list(SENSITIVE)


def test_every_value_defines_the_same_categories() -> None:
    for attr in world_taxonomy().attributes:
        for value in attr.values:
            assert set(attr.forms[value]) == set(attr.categories), attr.name
            for forms in attr.forms[value].values():
                assert forms and all(isinstance(f, str) and f == f.strip().lower() for f in forms)


def test_gender_has_nouns_and_all_five_pronouns() -> None:
    gender = world_taxonomy().attribute("gender")
    for value in gender.values:
        assert {"noun_singular", "noun_plural", *PRONOUN_CATEGORIES} <= set(gender.forms[value])
    female, male = (gender.forms[v] for v in gender.values)
    assert female["subject_pronoun"][0] == "she" and male["possessive_determiner"][0] == "his"


def test_world_attributes_match_taxonomy() -> None:
    for attr in world_taxonomy().attributes:
        assert WORLD_ATTRIBUTES[attr.name].values == attr.values
        assert WORLD_ATTRIBUTES[attr.name].sensitive
    assert not any(WORLD_ATTRIBUTES[n].sensitive for n in ("background", "clothing", "accessory"))
