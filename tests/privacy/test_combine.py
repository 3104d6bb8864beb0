"""A model's own taxonomy extends the default one; it never narrows what is detected."""

import pytest

from obclip.errors import TaxonomyError
from obclip.privacy import build_candidate_set, combine_taxonomies, default_taxonomy, parse_taxonomy

WORLD_LIKE = {
    "format": "obclip-taxonomy/1",
    "attributes": [
        {
            "name": "gender",
            "values": [
                {"value": "female", "forms": {"noun_singular": ["woman"]}},
                {"value": "male", "forms": {"noun_singular": ["man"]}},
            ],
        },
        {
            "name": "skin",
            "values": [
                {"value": "light", "forms": {"phrase": ["light skin"]}},
                {"value": "medium", "forms": {"phrase": ["medium skin", "umber skin"]}},
                {"value": "dark", "forms": {"phrase": ["dark skin"]}},
            ],
        },
    ],
}


def test_combined_detects_both_parts():
    combined = combine_taxonomies(parse_taxonomy(WORLD_LIKE, source="world"), default_taxonomy())
    assert [a.name for a in combined.attributes][:2] == ["gender", "skin"]
    assert {"age", "ethnicity"} <= {a.name for a in combined.attributes}
    cset = build_candidate_set("an old Asian woman with dark skin holding her hat", taxonomy=combined, seed=0)
    assert len(cset) == 3 * 6 * 2 * 3
    assert "an old Asian woman with dark skin holding her hat" in cset.candidates
    assert "an old Asian man with light skin holding his hat" in cset.candidates
    # a form only the model's taxonomy knows is read too
    assert len(build_candidate_set("a woman with umber skin", taxonomy=combined, seed=0)) == 2 * 3
    # skin tone is an attribute of the default taxonomy too (every model family): never in clear
    alone = build_candidate_set("an old Asian woman with dark skin holding her hat", seed=0)
    assert len(alone) == 3 * 6 * 2 * 3
    assert not all("dark skin" in c for c in alone.candidates)


def test_value_spaces_must_agree():
    other = {
        "format": "obclip-taxonomy/1",
        "attributes": [
            {
                "name": "gender",
                "values": [
                    {"value": "female", "forms": {"noun_singular": ["woman"]}},
                    {"value": "nonbinary", "forms": {"noun_singular": ["person"]}},
                ],
            }
        ],
    }
    with pytest.raises(TaxonomyError, match="gender"):
        combine_taxonomies(parse_taxonomy(other, source="x"), default_taxonomy())


def test_a_partial_value_of_one_part_joins_the_combined_value_space():
    # the model's own taxonomy knows female/male only; the default adds the plural-only "mixed"
    combined = combine_taxonomies(parse_taxonomy(WORLD_LIKE, source="world"), default_taxonomy())
    assert combined.attribute("gender").values == ("female", "male", "mixed")
    cset = build_candidate_set("two women dancing in the rain", taxonomy=combined, seed=0)
    assert set(cset.candidates) == {
        "two women dancing in the rain",
        "two men dancing in the rain",
        "two men and women dancing in the rain",
    }
