"""Expansion: N, uniqueness, canonical rendering, true index, shuffle, budget rule, caps, errors."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed

from obclip.errors import InvalidInputError
from obclip.privacy import HARD_CAP, build_candidate_set, candidate_count, default_taxonomy, detect, expand
from obclip.privacy.expand import READ_BACK_FLOOR, read_back_cap
from obclip.view import cloud_view


@pytest.mark.parametrize(
    ("prompt", "n"),
    [
        ("a woman", 2),
        ("a young woman", 6),
        ("portrait of a young African woman", 36),
        ("an Asian", 6),
        ("a young man and an old woman", 36),
        ("a red car", 1),
    ],
)
def test_n_is_the_product_of_the_value_spaces(prompt: str, n: int) -> None:
    template = detect(prompt)
    assert candidate_count(template) == n == math.prod(len(a.values) for a in template.attributes)
    cset = build_candidate_set(prompt)
    assert len(cset) == len(set(cset.candidates)) == n


def test_the_full_product_of_the_paper_template() -> None:
    cset = build_candidate_set("portrait of a young African woman", seed=3)
    expected = {
        f"portrait of {'an' if age == 'old' else 'a'} {age} {eth} {noun}"
        for age in ("young", "middle-aged", "old")
        for eth in ("Caucasian", "African", "Asian", "Indian", "European", "Hispanic")
        for noun in ("woman", "man")
    }
    assert set(cset.candidates) == expected
    assert cset.true_prompt == "portrait of a young African woman"
    assert cset.candidates[cset.true_index] == cset.true_prompt
    assert [a.name for a in cset.attributes] == ["age_0", "ethnicity_0", "gender_0"]
    assert cset.notice is None


def test_true_index_points_at_the_canonical_rendering() -> None:
    cset = build_candidate_set("An ELDERLY  asian Gentleman smiling", seed=1)
    # the word kept (parallel forms); capitals throughout fold, a title-case capital stays
    assert cset.true_prompt == "An old Asian Gentleman smiling"
    assert cset.candidates[cset.true_index] == cset.true_prompt
    for candidate in cset.candidates:
        assert not {"ELDERLY", "asian", ""} & set(candidate.split(" "))
        assert candidate.split(" ")[3][0].isupper()  # every candidate writes its noun so: it tells nothing


@pytest.mark.parametrize(
    "prompt",
    [
        "a portrait of Queen Elizabeth II, oil painting",
        "Portrait Of An Old Man, Oil Painting",
        "a Young Woman portrait",
        "the ocean liner Queen Mary docked at Long Beach",
    ],
)
def test_a_capital_inside_a_sentence_stays_the_users_in_every_candidate(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert len(cset) > 1
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "yours"),
    [
        ("a Latina teenager skateboarding", "a Hispanic teenager skateboarding"),
        ("a Mexican grandmother cooking tamales", "a Hispanic grandmother cooking tamales"),
        ("portrait of a young Brazilian man", "portrait of a young Hispanic man"),
        ("Puerto Ricans dancing salsa", "Hispanics dancing salsa"),
        ("an American farmer", "a Caucasian farmer"),
    ],
)
def test_a_demonym_renders_as_the_value_it_denotes(prompt: str, yours: str) -> None:
    """Latin American words render as Hispanic, not as another group: the user's image keeps its people."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == yours
    assert cset.candidates[cset.true_index] == yours


def test_seeded_order_is_reproducible_and_seed_none_uses_the_csprng() -> None:
    first = build_candidate_set("portrait of a young African woman", seed=42)
    assert build_candidate_set("portrait of a young African woman", seed=42).candidates == first.candidates
    assert build_candidate_set("portrait of a young African woman", seed=43).candidates != first.candidates
    orders = {build_candidate_set("portrait of a young African woman").candidates for _ in range(5)}
    assert len(orders) > 1
    assert all(set(order) == set(first.candidates) for order in orders)


def test_public_dict_never_holds_the_true_member() -> None:
    cset = build_candidate_set("a young man holding his hat", seed=5)
    public = cset.public_dict()
    assert {"template", "attributes", "candidates", "n"} <= set(public)
    assert public["n"] == len(cset) == 6
    assert public["candidates"] == list(cset.candidates)
    assert (
        public["template"]
        == "{article_0} {age_0} {gender_0:noun_singular} holding {gender_0:possessive_determiner} hat"
    )
    text = json.dumps(public)
    assert "true" not in text and "index" not in text
    assert "true_index" not in repr(cset)
    again = build_candidate_set(cset.candidates[(cset.true_index + 1) % len(cset)], seed=5)
    assert again.public_dict() == public
    assert again == cset


def test_no_sensitive_attribute_gives_one_candidate_and_says_so() -> None:
    cset = build_candidate_set("a red car on a rainy street")
    assert cset.candidates == ("a red car on a rainy street",)
    assert cset.true_index == 0
    assert cset.notice == "no sensitive attribute detected: N = 1, nothing is hidden"


def test_budget_fixes_whole_attributes_by_taxonomy_order_and_says_which() -> None:
    prompt = "portrait of a young African woman"
    cset = build_candidate_set(prompt, max_candidates=6, seed=0)
    assert len(cset) == 6
    assert cset.fixed == ("ethnicity_0",)
    assert cset.hidden == ("age_0", "gender_0")
    assert all(" African " in c for c in cset.candidates)
    assert "ethnicity_0" in cset.notice and "N = 6" in cset.notice
    assert cset.public_dict()["fixed"] == ["ethnicity_0"]
    assert len(build_candidate_set(prompt, max_candidates=10, seed=0)) == 6
    assert build_candidate_set(prompt, max_candidates=5, seed=0).hidden == ("gender_0",)
    assert len(build_candidate_set(prompt, max_candidates=36, seed=0)) == 36
    assert build_candidate_set(prompt, max_candidates=36).notice is None
    one = build_candidate_set(prompt, max_candidates=1, seed=0)
    assert one.candidates == (prompt,)
    assert "nothing is hidden" in one.notice


def test_budget_group_depends_on_the_fixed_values_only() -> None:
    groups = {
        build_candidate_set(p, max_candidates=6, seed=9).candidates
        for p in ("a young African woman", "an old African man", "a middle-aged African woman")
    }
    assert len(groups) == 1
    other = build_candidate_set("a young Asian woman", max_candidates=6, seed=9)
    assert set(other.candidates).isdisjoint(next(iter(groups)))


@settings(max_examples=40, deadline=None)
@given(people=st.integers(1, 4), budget=st.integers(1, 200), data=st.data())
def test_budget_groups_partition_the_full_set(people: int, budget: int, data: st.DataObject) -> None:
    """Every member of the full set lies in exactly one group, and groups never exceed M."""
    ages = data.draw(st.lists(st.sampled_from(["young", "old", "middle-aged"]), min_size=people, max_size=people))
    prompt = " and ".join(f"a {age} woman" for age in ages)
    template = detect(prompt)
    full = candidate_count(template)
    if full > 400:
        return
    everything = set(build_candidate_set(prompt, seed=0).candidates)
    seen: set[str] = set()
    for member in everything:
        if member in seen:
            continue
        group = set(build_candidate_set(member, max_candidates=budget, seed=0).candidates)
        assert len(group) <= budget
        assert group <= everything and not (group & seen)
        seen |= group
    assert seen == everything


def test_an_absurd_product_is_refused_without_a_budget() -> None:
    prompt = " and ".join(["an old African woman"] * 4)
    assert candidate_count(detect(prompt)) == 36**4 > HARD_CAP
    with pytest.raises(InvalidInputError, match="max-candidates"):
        build_candidate_set(prompt)
    cset = build_candidate_set(prompt, max_candidates=100)
    assert len(cset) <= 100


def test_a_prompt_with_many_people_stays_fast() -> None:
    prompt = ", ".join(["a young man holding his hat"] * 20)
    cset = build_candidate_set(prompt, max_candidates=64)
    assert len(cset) <= 64


@pytest.mark.parametrize("budget", [0, -1, HARD_CAP + 1, 2.5, "6", True])
def test_bad_budget_is_invalid_input(budget: object) -> None:
    with pytest.raises(InvalidInputError, match="max_candidates"):
        build_candidate_set("a young woman", max_candidates=budget)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_bad_seed_is_invalid_input(seed: object) -> None:
    with pytest.raises(InvalidInputError, match="seed"):
        build_candidate_set("a young woman", seed=seed)  # type: ignore[arg-type]


def test_expand_takes_true_values_by_position_or_name() -> None:
    template = detect("a young woman").public()
    by_position = expand(template, true_values=("old", "male"), seed=1)
    by_name = expand(template, true_values={"age_0": "old", "gender_0": "male"}, seed=1)
    assert by_position == by_name
    assert by_position.true_prompt == by_name.true_prompt == "an old man"
    with pytest.raises(InvalidInputError, match="true_values"):
        expand(template)
    with pytest.raises(InvalidInputError, match="not a value"):
        expand(template, true_values=("ancient", "male"))
    with pytest.raises(InvalidInputError):
        expand(template, true_values=("old",))
    with pytest.raises(InvalidInputError, match="differ"):
        expand(detect("she smiles at a man"), true_values=("male", "male"))


def test_a_taxonomy_whose_forms_collide_with_neighbours_is_refused() -> None:
    from obclip.privacy import parse_taxonomy

    data = {
        "format": "obclip-taxonomy/1",
        "attributes": [
            {
                "name": "age",
                "values": [
                    {"value": "old", "forms": {"adjective": ["aged", "old"]}},
                    {"value": "young", "forms": {"adjective": ["young"]}},
                    {"value": "middle", "forms": {"adjective": ["middle aged"]}},
                ],
            }
        ],
    }
    taxonomy = parse_taxonomy(data)
    with pytest.raises(InvalidInputError, match="read back"):
        build_candidate_set("a middle young man", taxonomy=taxonomy)
    assert len(build_candidate_set("a young man", taxonomy=taxonomy)) == 3
    assert default_taxonomy() is not taxonomy
    # what the cloud would be sent is read back too, though the view builds the user's set unread
    # first (its policy may send another set instead): the same set is refused there
    from obclip.view import cloud_view

    for policy in (None, "keep-cues"):
        with pytest.raises(InvalidInputError, match="read back"):
            cloud_view("a middle young man", taxonomy=taxonomy, policy=policy)


def test_a_pronoun_that_may_speak_of_either_person_must_equal_one_of_them() -> None:
    """`agrees_with`: the bride-and-groom set holds every mix of the pair, and no member in which
    the pronoun agrees with neither (two grooms and "her veil")."""
    template = detect("a bride and groom at the altar, her veil lifted")
    assert template.attributes[2].public_dict()["agrees_with"] == ["gender_0", "gender_1"]
    with pytest.raises(InvalidInputError, match="must equal one of"):
        expand(template, true_values={"gender_0": "male", "gender_1": "male", "gender_2": "female"})
    members = set(expand(template, seed=0).candidates)
    assert candidate_count(template) == len(members) == 6
    assert "a groom and groom at the altar, her veil lifted" not in members
    assert "a groom and bride at the altar, his veil lifted" in members


def test_a_candidate_whose_pronoun_reads_back_as_another_persons_is_refused_naming_the_pronoun(monkeypatch) -> None:
    """A candidate read back with a pronoun bound elsewhere would mark the user's own; the refusal
    names the pronouns and what to do, not the taxonomy (it had said "candidate #0 does not read
    back to the same template with taxonomy default; a form probably runs into the words")."""
    import dataclasses
    import importlib

    from obclip.privacy.template import Attribute, Slot

    expand_module = importlib.import_module("obclip.privacy.expand")

    template = detect("a man holding his hat")
    pronoun = next(i for i, p in enumerate(template.parts) if isinstance(p, Slot) and p.category.endswith("determiner"))
    moved = template.parts[pronoun]
    assert isinstance(moved, Slot) and moved.attribute is not None
    alone = Attribute(name="gender_1", kind="gender", values=template.attributes[moved.attribute].values, person=1)
    parts = list(template.parts)
    parts[pronoun] = dataclasses.replace(moved, attribute=len(template.attributes))
    elsewhere = dataclasses.replace(template, parts=tuple(parts), attributes=(*template.attributes, alone))
    real = expand_module.detect
    monkeypatch.setattr(
        expand_module,
        "detect",
        lambda text, taxonomy=None: dataclasses.replace(
            elsewhere, true_values=(*real(text, taxonomy).true_values, real(text, taxonomy).true_values[0])
        ),
    )
    with pytest.raises(InvalidInputError, match=r"cannot be hidden consistently.*'his'.*whom each pronoun") as error:
        expand(template, seed=0)
    assert "taxonomy" not in str(error.value)


def test_a_candidate_read_back_otherwise_with_the_default_taxonomy_is_refused_in_the_users_words(monkeypatch) -> None:
    import dataclasses
    import importlib

    expand_module = importlib.import_module("obclip.privacy.expand")
    template = detect("a man holding a hat")
    changed = dataclasses.replace(template, parts=(*template.parts[:-1], template.parts[-1] + " brim"))
    monkeypatch.setattr(expand_module, "detect", lambda text, taxonomy=None: changed)
    with pytest.raises(InvalidInputError, match=r"cannot be hidden consistently: one of its candidates") as error:
        expand(template, seed=0)
    assert "taxonomy" not in str(error.value)


def test_a_set_too_large_to_read_back_in_time_is_refused_with_the_budget_that_fits() -> None:
    # 12 gendered words in 3,400 characters: 4,096 candidates whose read-back had taken 44 s
    prompt = ("a man and a woman and a boy and a girl, " * 3 + "soft light, 35mm film, bokeh, " * 110)[:3900]
    template = detect(prompt)
    assert candidate_count(template) == HARD_CAP
    cap = read_back_cap(template)
    assert 1 <= cap < 256
    for budget in (None, HARD_CAP):
        with pytest.raises(InvalidInputError, match=rf"at most {cap} can be checked.*max-candidates"):
            build_candidate_set(prompt, max_candidates=budget)
    cset = build_candidate_set(prompt, max_candidates=cap, seed=0)
    assert 1 < len(cset) <= cap
    # the policy's own wider set (strong cues fixed) stays within what can be read back too
    cued = prompt + ", a pregnant woman"
    cues = cloud_view(cued, max_candidates=read_back_cap(detect(cued)), seed=0, policy="keep-cues")
    assert 1 < len(cues) <= read_back_cap(detect(cued))


def test_the_read_back_cap_falls_with_length_and_slots() -> None:
    short = detect("a woman reading")
    assert read_back_cap(short) > 2000  # a short prompt is read back whole up to thousands of candidates
    longer = detect("a woman reading, " + "soft light, " * 300)
    assert read_back_cap(longer) < read_back_cap(short)
    assert read_back_cap(detect("a woman and a man reading")) < read_back_cap(detect("a woman and a car reading"))


def test_a_budget_of_64_is_always_read_back() -> None:
    """The cap never falls below a cloud service's default budget: 4,000 characters of prose naming
    about a hundred persons (245 slots) had been refused at 64 by the first cost model, which
    overrates dense prompts; their 64 candidates read back in about 2 s."""
    prose = "a portrait of an old woman with her grandson, golden hour, 35mm, highly detailed. "
    prompt = (prose * 50)[:4000]
    template = detect(prompt)
    assert read_back_cap(template) == READ_BACK_FLOOR == 64
    assert len(build_candidate_set(prompt, max_candidates=64, seed=0)) == 64
