"""The taxonomy file format: the packaged default, loading, and one clear error per malformation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from obclip.errors import InvalidInputError, TaxonomyError
from obclip.privacy import PRONOUN_CATEGORIES, default_taxonomy, load_taxonomy, parse_taxonomy

EXAMPLE_PATH = Path(__file__).parent / "data" / "example_taxonomy.json"


def minimal() -> dict[str, Any]:
    return {
        "format": "obclip-taxonomy/1",
        "attributes": [
            {
                "name": "gender",
                "values": [
                    {"value": "female", "forms": {"noun": ["woman"], "object_pronoun": ["her"]}},
                    {"value": "male", "forms": {"noun": ["man"], "object_pronoun": ["him"]}},
                ],
            }
        ],
    }


def test_default_taxonomy_has_the_papers_value_spaces_in_file_order() -> None:
    taxonomy = default_taxonomy()
    spaces = {spec.name: spec.values for spec in taxonomy.attributes}
    # the paper's three, a child's age (numeric ages under 18 stay child ages) and skin tone, which
    # is an attribute for every model family (not only for a model that brings its own taxonomy)
    assert list(spaces) == ["gender", "age", "child_age", "ethnicity", "skin"]
    assert spaces == {
        "gender": ("female", "male", "mixed"),
        "age": ("young", "middle-aged", "old"),
        "child_age": ("infant", "child", "preteen", "teen"),
        "ethnicity": ("caucasian", "african", "asian", "indian", "european", "hispanic"),
        "skin": ("light", "medium", "dark"),
    }
    assert default_taxonomy() is taxonomy
    # "mixed" is a partial value: a group's plural may be of mixed gender, one person never is
    gender = taxonomy.attribute("gender")
    assert gender.values_for(["noun_singular"]) == ("female", "male")
    assert gender.values_for(["noun_plural"]) == ("female", "male", "mixed")
    assert gender.values_for(["noun_plural", "subject_pronoun"]) == ("female", "male")


@pytest.mark.parametrize(
    ("surface", "attribute", "value"),
    [
        ("woman", "gender", "female"),
        ("women", "gender", "female"),
        ("men", "gender", "male"),
        ("girl", "gender", "female"),
        ("boy", "gender", "male"),
        ("lady", "gender", "female"),
        ("gentleman", "gender", "male"),
        ("her", "gender", "female"),
        ("himself", "gender", "male"),
        ("his", "gender", "male"),
        ("hers", "gender", "female"),
        ("elderly", "age", "old"),
        ("senior", "age", "old"),
        ("aged", "age", "old"),
        ("youthful", "age", "young"),
        ("middle aged", "age", "middle-aged"),
        ("middle-aged", "age", "middle-aged"),
        ("asian", "ethnicity", "asian"),
        ("africans", "ethnicity", "african"),
        ("european", "ethnicity", "european"),
        ("caucasian", "ethnicity", "caucasian"),
        ("indian", "ethnicity", "indian"),
        ("latina", "ethnicity", "hispanic"),
        ("mexicans", "ethnicity", "hispanic"),
        ("puerto rican", "ethnicity", "hispanic"),
        ("american", "ethnicity", "caucasian"),
    ],
)
def test_default_taxonomy_covers_the_forms_people_write(surface: str, attribute: str, value: str) -> None:
    taxonomy = default_taxonomy()
    entry = taxonomy.lexicon[surface]
    assert (taxonomy.attributes[entry.attribute].name, entry.value) == (attribute, value)


@pytest.mark.parametrize("word", ["yellow", "red", "human", "person", "they"])
def test_default_taxonomy_leaves_ambiguous_words_out(word: str) -> None:
    assert word not in default_taxonomy().lexicon


@pytest.mark.parametrize(("word", "n"), [("white", 12), ("black", 12), ("brown", 6)])  # brown: a skin tone
def test_colour_words_count_only_right_before_a_person(word: str, n: int) -> None:
    from obclip.privacy import build_candidate_set

    assert word in default_taxonomy().lexicon
    for text in (f"a {word} cat", f"{word} and gold", f"a {word} shirt on a table"):
        assert len(build_candidate_set(text)) == 1, text
    for text in (f"a woman in a {word} dress", f"she wears {word}"):
        assert all(f" {word}" in member for member in build_candidate_set(text).candidates), text
    assert len(build_candidate_set(f"a {word} woman")) == n


def test_countries_name_the_value_their_demonym_renders_as() -> None:
    """countries.json says which ethnicity each demonym renders as; the taxonomy must agree."""
    from importlib import resources

    ethnicity = default_taxonomy().attribute("ethnicity")
    data = resources.files("obclip.privacy").joinpath("data", "countries.json").read_text(encoding="utf-8")
    countries = json.loads(data)["countries"]
    value_of = {form: value for value in ethnicity.values for form in ethnicity.forms[value]["adjective"]}
    checked = [(d, c["value"], value_of[d]) for c in countries for d in c["demonyms"] if d in value_of]
    assert len(checked) > 200
    assert [row for row in checked if row[1] != row[2]] == []
    assert {c["value"] for c in countries} == set(ethnicity.values)
    assert value_of["Mexican"] == value_of["Latina"] == value_of["Chicano"] == "hispanic"


def test_a_generated_first_name_never_joins_a_listed_word_into_its_family() -> None:
    # "Nani" is a name in the name data and the Hindi grandmother in the taxonomy: read as both,
    # it joined "grandparent" to every first name, and "a princess with a tiara" got a grandmother
    taxonomy = default_taxonomy()
    families = {entry.family for entry in taxonomy.lexicon.values() if "first_name" in entry.categories}
    assert families == {frozenset({"first_name"})}
    assert taxonomy.lexicon["nani"].categories == frozenset({"grandparent"})


def test_every_value_has_the_same_categories_and_pronouns_are_complete() -> None:
    for spec in default_taxonomy().attributes:
        for value in spec.values:
            if value == "mixed":  # partial: plurals only
                assert set(spec.forms[value]) < set(spec.categories)
                assert all(c.endswith("_plural") or c.startswith("tag_plural_") for c in spec.forms[value])
                continue
            assert tuple(spec.forms[value]) == spec.categories
    gender = default_taxonomy().attribute("gender")
    assert set(gender.categories) >= PRONOUN_CATEGORIES


def test_load_taxonomy_reads_the_issue_example(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(EXAMPLE_PATH)
    assert [spec.name for spec in taxonomy.attributes] == ["gender", "age", "skin"]
    assert taxonomy.attribute("gender").canonical("male", "noun_singular") == "man"
    assert taxonomy.lexicon["female"].categories == {"adjective", "noun_singular"}
    assert load_taxonomy(str(EXAMPLE_PATH)).source == str(EXAMPLE_PATH)


def mutate(change) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    change(data)
    return data


def _set(path: list[Any], value: Any):
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


MALFORMED = {
    "wrong format": _set(["format"], "obclip-taxonomy/2"),
    "no attributes": _set(["attributes"], []),
    "attribute not an object": _set(["attributes", 0], "gender"),
    "bad name": _set(["attributes", 0, "name"], "gen der"),
    "one value": _set(["attributes", 0, "values"], [{"value": "female", "forms": {"noun": ["woman"]}}]),
    "value without forms": _set(["attributes", 0, "values", 1, "forms"], {}),
    "empty form list": _set(["attributes", 0, "values", 1, "forms", "noun"], []),
    "form not a string": _set(["attributes", 0, "values", 1, "forms", "noun"], [3]),
    "punctuation in form": _set(["attributes", 0, "values", 1, "forms", "noun"], ["m.a.n."]),
    "article as form": _set(["attributes", 0, "values", 1, "forms", "noun"], ["a"]),
    "duplicate value": _set(["attributes", 0, "values", 1, "value"], "female"),
}


@pytest.mark.parametrize("case", [*sorted(MALFORMED), "not an object"])
def test_malformed_taxonomies_raise_one_line_taxonomy_errors(case: str) -> None:
    data = [] if case == "not an object" else mutate(MALFORMED[case])
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(data, source="t.json")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("taxonomy t.json:")


def test_missing_category_names_the_attribute_and_category() -> None:
    data = mutate(lambda d: d["attributes"][0]["values"][1]["forms"].pop("object_pronoun"))
    with pytest.raises(TaxonomyError, match=r"'gender'.*'object_pronoun'"):
        parse_taxonomy(data)
    data = mutate(lambda d: d["attributes"][0]["values"][1]["forms"].update(adjective=["male"]))
    with pytest.raises(TaxonomyError, match=r"'gender'.*'adjective'"):
        parse_taxonomy(data)


def test_a_partial_value_defines_some_categories_only_and_no_new_one() -> None:
    def add_mixed(forms: dict[str, list[str]]) -> Any:
        mixed = {"value": "mixed", "partial": True, "forms": forms}
        return mutate(lambda d: d["attributes"][0]["values"].append(mixed))

    gender = parse_taxonomy(add_mixed({"noun": ["men and women"]})).attribute("gender")
    assert gender.values == ("female", "male", "mixed")
    assert gender.values_for(["noun"]) == ("female", "male", "mixed")
    assert gender.values_for(["noun", "object_pronoun"]) == ("female", "male")
    with pytest.raises(TaxonomyError, match=r"'gender'.*'adjective'.*'mixed' adds"):
        parse_taxonomy(add_mixed({"adjective": ["mixed"]}))
    # without "partial", a value lacking a category is still refused
    data = mutate(lambda d: d["attributes"][0]["values"].append({"value": "mixed", "forms": {"noun": ["folk"]}}))
    with pytest.raises(TaxonomyError, match=r"'gender'.*'object_pronoun'"):
        parse_taxonomy(data)


def test_a_form_under_two_values_is_ambiguous() -> None:
    data = mutate(_set(["attributes", 0, "values", 1, "forms", "object_pronoun"], ["Her"]))
    with pytest.raises(TaxonomyError, match=r"'gender'.*'Her'.*two values"):
        parse_taxonomy(data)


def test_a_form_under_two_attributes_is_ambiguous() -> None:
    data = minimal()
    data["attributes"].append(
        {
            "name": "age",
            "values": [
                {"value": "old", "forms": {"adjective": ["man"]}},
                {"value": "young", "forms": {"adjective": ["young"]}},
            ],
        }
    )
    with pytest.raises(TaxonomyError, match="two attributes"):
        parse_taxonomy(data)


def test_a_form_may_be_two_pronouns_of_one_value_but_not_pronoun_and_noun() -> None:
    data = mutate(lambda d: d["attributes"][0]["values"][0]["forms"].update(object_pronoun=["her"]))
    for value, det in (("female", "her"), ("male", "his")):
        index = 0 if value == "female" else 1
        data["attributes"][0]["values"][index]["forms"]["possessive_determiner"] = [det]
    assert parse_taxonomy(data).lexicon["her"].categories == {"object_pronoun", "possessive_determiner"}
    data = mutate(_set(["attributes", 0, "values", 0, "forms", "object_pronoun"], ["woman"]))
    with pytest.raises(TaxonomyError, match="both a pronoun and a non-pronoun"):
        parse_taxonomy(data)


def test_unreadable_and_invalid_json_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read taxonomy file") as info:
        load_taxonomy(tmp_path / "missing.json")
    assert "\n" not in str(info.value)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "obclip-taxonomy/1",\n "attributes": [}', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"not valid JSON \(line 2"):
        load_taxonomy(broken)
    with pytest.raises(TaxonomyError):
        load_taxonomy(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(minimal()), encoding="utf-8")
    assert load_taxonomy(good).attribute("gender").values == ("female", "male")


def test_taxonomy_error_is_an_invalid_input_error() -> None:
    assert issubclass(TaxonomyError, InvalidInputError)
