from __future__ import annotations

from obclip.world import SENSITIVE, WORLD_ATTRIBUTES, load_taxonomy

PRONOUNS = ("subject_pronoun", "object_pronoun", "possessive_determiner", "possessive_pronoun",
            "reflexive_pronoun")


def test_format_and_slot_order() -> None:
    tax = load_taxonomy()
    assert tax["format"] == "obclip-taxonomy/1"
    assert [a["name"] for a in tax["attributes"]] == ["gender", "age", "skin"] == list(SENSITIVE)


def test_every_value_defines_the_same_categories() -> None:
    for attr in load_taxonomy()["attributes"]:
        categories = {frozenset(v["forms"]) for v in attr["values"]}
        assert len(categories) == 1, attr["name"]
        for value in attr["values"]:
            for forms in value["forms"].values():
                assert forms and all(isinstance(f, str) and f == f.strip().lower() for f in forms)


def test_gender_has_nouns_and_all_five_pronouns() -> None:
    gender = next(a for a in load_taxonomy()["attributes"] if a["name"] == "gender")
    for value in gender["values"]:
        assert {"noun_singular", "noun_plural", *PRONOUNS} <= set(value["forms"])
    female, male = (v["forms"] for v in gender["values"])
    assert female["subject_pronoun"][0] == "she" and male["possessive_determiner"][0] == "his"


def test_world_attributes_match_taxonomy() -> None:
    for attr in load_taxonomy()["attributes"]:
        assert WORLD_ATTRIBUTES[attr["name"]].values == tuple(v["value"] for v in attr["values"])
        assert WORLD_ATTRIBUTES[attr["name"]].sensitive
    assert not any(WORLD_ATTRIBUTES[n].sensitive for n in ("background", "clothing", "accessory"))
