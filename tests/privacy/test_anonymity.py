"""Anonymity and the policy (`privacy.correlate`): functions of the candidate set, honest about
every cue in clear, and what --keep-cues / --generalize / --strict / --min-anonymity do before
sending. Tests of what a kept cue does ask for --keep-cues; the default generalises."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from obclip.errors import InvalidInputError
from obclip.privacy import build_candidate_set, correlate, default_taxonomy, detect
from obclip.privacy.correlate import (
    anonymity,
    apply_policy,
    assignments,
    check_anonymity,
    generalized,
    report,
    revealed,
)
from obclip.privacy.cues import cue_table, find_cues
from obclip.privacy.taxonomy import fold
from obclip.view import cloud_view

# prompts as people type them for Stable Diffusion, each with the strong cues it holds
STRONG = [
    ("portrait of an old man with a long grey beard, dramatic lighting, 85mm", ["grey beard"]),
    ("a pregnant woman standing in a field of sunflowers, golden hour", ["pregnant"]),
    ("beautiful young woman in a white wedding dress, bokeh, canon eos", ["wedding dress"]),
    ("a Japanese woman in a red kimono under cherry blossoms, ukiyo-e style", ["kimono"]),
    ("an Indian woman wearing a sari, highly detailed, 8k", ["sari"]),
    ("man with a goatee and sunglasses, cyberpunk city, neon", ["goatee"]),
    ("a woman in a bikini on a beach at sunset, photorealistic", ["bikini"]),
    ("elderly woman with wrinkles knitting by the fire, oil painting", ["wrinkles"]),
    ("a young man with a mustache, 1920s style photograph", ["mustache"]),
    ("a woman wearing a hijab reading in a library, soft light", ["hijab"]),
    ("a Mexican man in a sombrero playing guitar, vibrant colors", ["sombrero"]),
    ("portrait of a woman with cornrows, studio photo, 50mm", ["cornrows"]),
    ("a Scottish man wearing a kilt in the highlands, misty", ["kilt"]),
    ("a Korean girl in a hanbok, traditional palace background", ["hanbok"]),
    ("a woman with silver hair sitting on a park bench, film grain", ["silver hair"]),
    ("bearded man drinking coffee, cozy cafe, warm tones", ["bearded"]),
    ("a man in a tuxedo with a bow tie at a gala, cinematic", ["tuxedo"]),
    ("a woman in an evening gown on the red carpet, paparazzi flash", ["evening gown"]),
    ("a Nigerian woman wearing a gele at a wedding party", ["gele"]),
    ("an Arab man in a keffiyeh in the desert, epic landscape", ["keffiyeh"]),
    ("a man with stubble and a leather jacket, moody portrait", ["stubble"]),
    ("a smiling woman with a baby bump, maternity photoshoot", ["baby bump", "maternity photoshoot"]),
    ("a young woman in a school uniform waiting for the train, anime style", ["school uniform"]),
    ("a man with a pacifier, surreal art", ["pacifier"]),
    ("a Chinese woman in a qipao, 1930s Shanghai, vintage photo", ["qipao"]),
]

WEAK = [
    ("a young woman in a red dress, long hair, smiling", {"dress", "long hair"}),
    ("a woman with pigtails eating ice cream, summer", {"pigtails"}),
    ("an old man with a cane walking in the rain", {"cane"}),
    ("a man with a bow tie", {"bow tie"}),
]


def test_the_notice_names_every_strong_cue_and_the_policy_fixes_what_it_reveals() -> None:
    named = 0
    for prompt, cues in STRONG:
        cset = cloud_view(prompt, seed=0, policy="keep-cues")
        named += all(f"'{cue}'" in (cset.notice or "") for cue in cues)
        assert {r.word for r in revealed(cset) if r.strength == "strong"} >= set(cues), prompt
        # never a strong cue in clear beside a varied attribute it reveals
        assert not [r for r in revealed(cset) if r.strength == "strong" and r.varied], prompt
        assert set(cset.fixed) >= {
            a.name
            for r in revealed(cset)
            for a in cset.attributes
            if r.strength == "strong" and a.kind == r.attribute and a.person == r.person
        }, prompt
    assert named == len(STRONG)


def test_a_weak_cue_is_told_and_counted_but_the_attribute_stays_varied() -> None:
    for prompt, cues in WEAK:
        cset = cloud_view(prompt, seed=0, policy="keep-cues")
        found = {r.word for r in revealed(cset) if r.varied}
        assert found == cues, prompt
        assert all(f"'{cue}'" in cset.notice for cue in cues)
        assert anonymity(cset) < len(cset)
        assert f"hidden among {anonymity(cset)} of {len(cset)}" in cset.notice


def test_anonymity_counts_the_candidates_the_cues_leave() -> None:
    cset = cloud_view("a young woman in a red dress, smiling", seed=0, policy="keep-cues")
    rows = assignments(cset)
    gender = [a.name for a in cset.attributes].index("gender_0")
    # "dress" points to female: the 3 female candidates of 6 remain
    assert len(cset) == 6 and anonymity(cset) == sum(row[gender] == "female" for row in rows) == 3
    # the user's own candidate is not special: a man in a dress is simply ruled out
    man = cloud_view("a young man in a red dress, smiling", seed=0, policy="keep-cues")
    assert man == cset and anonymity(man) == 3


def test_contradicting_cues_leave_the_best_explained_candidates() -> None:
    cset = cloud_view("a woman in a dress with short hair", seed=0, policy="keep-cues")
    assert len(cset) == 2 and anonymity(cset) == 2  # one weak cue each way: nobody is ruled out


def test_slot_categories_count_too() -> None:
    cset = cloud_view("a young grandma baking cookies", seed=0)
    words = {r.word for r in revealed(cset)}
    assert "grandmother/grandfather" in words
    assert anonymity(cset) == 4 and len(cset) == 6  # grandparents are middle-aged or old


def test_phrases_that_hold_a_cue_but_are_none_are_not_cues() -> None:
    # ("a man in a dress shirt" is none of "dress": it is a weak cue of a man of its own, test_honest_cues)
    for prompt in ("a woman holding a candy cane", "a girl and her bearded dragon"):
        cset = cloud_view(prompt, seed=0)
        assert revealed(cset) == () and cset.notice is None, prompt


def test_a_cue_is_bound_to_the_person_it_describes() -> None:
    cset = cloud_view("a woman next to a man with a beard", seed=0, policy="keep-cues")
    hits = find_cues(detect("a woman next to a man with a beard"))
    assert [h.person for h in hits] == [1]
    assert cset.fixed == ("gender_1",) and len(cset) == 2


def test_matching_uses_the_detectors_folding_and_word_boundaries() -> None:
    assert [h.word for h in find_cues(detect("A MAN WITH A BEARD"))] == ["BEARD"]
    assert find_cues(detect("a man with a beardless face")) == ()
    assert [h.word for h in find_cues(detect("a woman in two wedding   dresses"))] == ["wedding   dresses"]
    # the table's plural and hyphen forms
    assert [h.key for h in find_cues(detect("a grey haired man"))] == ["grey haired"]


# --- the table itself ----------------------------------------------------------------------------


def test_every_cue_names_a_value_of_its_attribute() -> None:
    data = json.loads(resources.files("obclip.privacy").joinpath("data/cues.json").read_text("utf-8"))
    spaces = {spec.name: set(spec.values) for spec in default_taxonomy(("religion",)).attributes}
    spaces["skin"] = {"light", "medium", "dark"}
    for entry in data["cues"]:
        if entry["attribute"] == "religion" and entry["values"] == [entry["words"][0]]:
            assert entry["words"][0] not in spaces["religion"]  # a faith outside the space names itself
            continue
        assert set(entry["values"]) <= spaces[entry["attribute"]], entry["words"][:3]


def test_cue_words_are_english_words_a_frequency_list_knows() -> None:
    wordfreq = pytest.importorskip("wordfreq")
    data = json.loads(resources.files("obclip.privacy").joinpath("data/cues.json").read_text("utf-8"))
    words = {w for e in data["cues"] for w in e["words"] if w[0].isalnum()}
    known = [w for w in words if wordfreq.zipf_frequency(w, "en") >= 1.0]
    assert len(words) > 600 and len(known) / len(words) >= 0.97


def test_no_neutral_form_is_itself_a_cue() -> None:
    table = cue_table()
    for word, form in table.neutral.items():
        found = [m.group() for m in table.matcher.finditer(fold(form)) if m.group() in table.implications]
        assert not found, (word, form)
    assert "wedding dress" in table.neutral and table.neutral["kimono"] == "robe" and table.neutral["beard"] == ""
    data = json.loads(resources.files("obclip.privacy").joinpath("data/neutral.json").read_text("utf-8"))
    for form in data["weighted"].values():  # what a dropped cue inside a weight is sent as
        assert form and not [m.group() for m in table.matcher.finditer(fold(form)) if m.group() in table.implications]


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("(young woman:1.3) (freckles:1.1) portrait, soft light", "(young woman:1.3) (detailed face:1.1) portrait"),
        ("(Black woman:1.2), (afro:1.1), golden hour", "(African woman:1.2), (hairstyle:1.1), golden hour"),
        ("[old man:1.2], (pregnant:1.1)", "[old man:1.2], (detailed:1.1)"),
    ],
)
def test_a_generalised_cue_inside_a_weight_keeps_the_weight(prompt: str, sent: str) -> None:
    cset = apply_policy(build_candidate_set(prompt, seed=0), seed=0)
    assert cset.true_prompt.startswith(sent)
    assert cset.device_text == prompt


# --- --generalize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "sent", "n"),
    [
        ("a pregnant woman in a wedding dress", "a woman in a wedding outfit", 2),
        ("portrait of a man with a long bushy beard and glasses", "portrait of a man with glasses", 2),
        ("a Japanese woman in a kimono", "an Asian woman in a robe", 12),
        ("bearded old man, oil painting", "old man, oil painting", 6),
        ("a woman in a bikini on a beach", "a woman in swimwear on a beach", 2),
    ],
)
def test_generalize_sends_neutral_forms_and_the_device_keeps_the_full_prompt(prompt, sent, n) -> None:
    default = cloud_view(prompt, seed=1, policy="keep-cues")
    cset = cloud_view(prompt, seed=1, generalize=True)
    assert cset.true_prompt == sent and len(cset) == n and not cset.fixed
    # the device draws the user's own (normalised) prompt in both policies, cues and all
    assert cset.device_prompt == default.device_prompt == prompt
    assert anonymity(cset) == n and revealed(cset) == ()
    assert generalized(cset) and report(cset)["generalized"][0]["word"] in prompt


def test_generalize_keeps_what_has_no_neutral_form_fixed() -> None:
    cset = cloud_view("a man in a kimono playing sumo with a mustache", seed=0, generalize=True)
    assert "robe" in cset.true_prompt and "mustache" not in cset.true_prompt
    assert not [r for r in revealed(cset) if r.strength == "strong" and r.varied]


# --- refusals ------------------------------------------------------------------------------------


def test_strict_and_min_anonymity_refuse_in_one_line() -> None:
    cset = cloud_view("a woman in a red dress", seed=0, policy="keep-cues")
    with pytest.raises(
        InvalidInputError,
        match=r"^--strict: residual risk would be sent in clear: dress \(gender: female \(weak cue\)\)$",
    ):
        check_anonymity(cset, strict=True)
    with pytest.raises(InvalidInputError, match=r"^min_anonymity 2: .* only 1 of 2 \('dress' reveals gender\)"):
        check_anonymity(cset, min_anonymity=2, prefix="")
    check_anonymity(cset, min_anonymity=1)
    check_anonymity(cloud_view("a woman reading", seed=0), strict=True, min_anonymity=2)
    for bad in (0, -3, True, 1.5, "2"):
        with pytest.raises(InvalidInputError, match="positive integer"):
            check_anonymity(cset, min_anonymity=bad)


# --- functions of the set (hypothesis) -----------------------------------------------------------

SUBJECTS = [
    "a woman",
    "an old man",
    "a young Asian woman",
    "a middle-aged African man",
    "a girl",
    "a European grandmother",
    "two women",
    "a man and a woman",
    "an Indian boy",
    "a Hispanic mother and her daughter",
]
PLACES = ["", ", studio lighting", " in a cafe", " on a beach at sunset", ", 8k, trending on artstation", " in Japan"]
PLACES += [' by a shop sign "할머니 국수"', ', a mosaic that says "Слава труду!"']  # words it cannot read: told
CUES = sorted(
    {
        w
        for e in json.loads(resources.files("obclip.privacy").joinpath("data/cues.json").read_text("utf-8"))["cues"]
        for w in e["words"]
        if w[0].isalpha()
    }
)
LINKS = [" with ", " wearing ", ", ", " in ", " holding "]


@st.composite
def prompts(draw) -> str:
    text = draw(st.sampled_from(SUBJECTS))
    for _ in range(draw(st.integers(0, 3))):
        text += draw(st.sampled_from(LINKS)) + draw(st.sampled_from(["a ", "", "the "])) + draw(st.sampled_from(CUES))
    if draw(st.booleans()):
        text = draw(st.sampled_from(CUES)) + " " + text.removeprefix("a ").removeprefix("an ")
    return text + draw(st.sampled_from(PLACES))


def _try(prompt: str, **options):
    try:
        return cloud_view(prompt, **options)
    except InvalidInputError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=prompts(), generalize=st.booleans(), budget=st.sampled_from([None, 4]), seed=st.integers(0, 3))
def test_anonymity_and_the_policy_are_functions_of_the_set(prompt, generalize, budget, seed) -> None:
    cset = _try(prompt, seed=seed, generalize=generalize, max_candidates=budget)
    if cset is None:
        return
    shown = report(cset)
    # the default policy never sends a strong cue beside a varied attribute it reveals
    assert not [r for r in revealed(cset) if r.strength == "strong" and r.varied]
    assert 1 <= shown["anonymity"] <= len(cset) and (budget is None or len(cset) <= budget)
    for member in sorted(cset.candidates)[:3]:
        again = cloud_view(member, seed=seed, generalize=generalize, max_candidates=budget)
        assert again.candidates == cset.candidates and again.template == cset.template
        assert again.fixed == cset.fixed and again.notice == cset.notice
        theirs = report(again)
        for key in ("anonymity", "revealed", "assignments"):
            assert theirs[key] == shown[key], key
    # assignments are what detection reads back from each candidate
    for candidate, row in list(zip(cset.candidates, shown["assignments"], strict=True))[:4]:
        assert tuple(row) == detect(candidate, cset.template.taxonomy).true_values
    assert shown["yours"] == cset.true_prompt and cset.true_prompt in cset.candidates


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=prompts(), seed=st.integers(0, 3))
@example(prompt="ao dai European grandmother, a aarti with a aarti", seed=0)  # N = 1, not in English
def test_policy_applied_twice_changes_nothing(prompt, seed) -> None:
    cset = _try(prompt, seed=seed, policy="keep-cues")
    if cset is None:
        return
    raw = build_candidate_set(prompt, seed=seed)
    assert set(cset.candidates) <= set(raw.candidates)
    assert apply_policy(cset, policy="keep-cues", seed=seed) == cset


def test_a_wider_budget_never_varies_what_a_strong_cue_reveals() -> None:
    # the budget of 4 fixes age; re-expanding for the gender cue must not vary age again
    prompt = "golden anniversary old man with an abaya"
    raw = build_candidate_set(prompt, seed=0, max_candidates=4)
    assert raw.fixed == ("age_0",)
    cset = cloud_view(prompt, seed=0, max_candidates=4, policy="keep-cues")
    assert set(cset.fixed) == {"age_0", "gender_0"} and len(cset) == 1
    cset = cloud_view("a man with a beard, 40 years old, smiling", seed=0, max_candidates=3, policy="keep-cues")
    assert len(cset) <= 3 and "gender_0" in cset.fixed


@pytest.mark.parametrize(
    "prompt",
    [
        "a Ghanaian captain in her 50s, a young Japanese engineer, a bald Russian medic",
        "a man, about 70, fishing with his grandson, 8",
    ],
)
def test_assignments_are_read_off_each_candidate_as_its_slots_render_it(prompt: str) -> None:
    """The values of a candidate are read with the template's slots as they render (a decade in the
    row of the user's, a bare age), never by detecting the candidate again: a three-person prompt
    has thousands of candidates, and detecting each had cost a third of its time."""
    cset = build_candidate_set(prompt, seed=0, max_candidates=2000)
    parser = correlate._parser(cset.template)
    read = [correlate._parse(cset.template, parser, c) for c in cset.candidates]
    assert None not in read
    assert tuple(read) == assignments(cset)
