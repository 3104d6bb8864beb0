"""The anonymity policy as a choice (`correlate.resolve_policy`): generalising is the default,
--keep-cues the explicit alternative; the neutral table covers every strong cue it can; a dropped
cue leaves grammatical text; a cue speaks of the person who has the attribute it reveals; and the
notice names every strong cue the policy leaves in clear."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obclip.errors import InvalidInputError
from obclip.privacy.correlate import (
    DEFAULT_POLICY,
    GENERALIZE,
    KEEP_CUES,
    anonymity,
    generalized,
    neutral_form,
    resolve_policy,
    revealed,
)
from obclip.privacy.cues import cue_table
from obclip.privacy.taxonomy import surface_key
from obclip.view import cloud_view

BENCH = Path(__file__).parents[2] / "bench"


def _data(name: str) -> dict:
    return json.loads(resources.files("obclip.privacy").joinpath(f"data/{name}").read_text("utf-8"))


# --- the choice ----------------------------------------------------------------------------------


def test_generalising_is_the_default_and_the_older_boolean_still_reads() -> None:
    assert DEFAULT_POLICY == GENERALIZE == resolve_policy() == resolve_policy(generalize=True)
    assert resolve_policy(KEEP_CUES) == resolve_policy(generalize=False) == KEEP_CUES
    assert resolve_policy(GENERALIZE, generalize=True) == GENERALIZE
    with pytest.raises(InvalidInputError, match=r"^policy must be one of generalize, keep-cues, got 'fix'$"):
        resolve_policy("fix")
    with pytest.raises(InvalidInputError, match="contradicts generalize=False"):
        resolve_policy(GENERALIZE, generalize=False)
    with pytest.raises(InvalidInputError, match="true or false"):
        resolve_policy(generalize="yes")  # type: ignore[arg-type]


def test_the_default_varies_what_a_strong_cue_revealed_and_keep_cues_fixes_it() -> None:
    prompt = "a woman in a hijab reading a newspaper in a cafe"
    default = cloud_view(prompt, seed=0)
    assert len(default) == 2 and not default.fixed and anonymity(default) == 2
    assert default.true_prompt == "a woman in a head covering reading a newspaper in a cafe"
    assert default.device_text == prompt  # the device draws the user's own prompt
    assert generalized(default) == (("hijab", "head covering"),)
    kept = cloud_view(prompt, seed=0, policy=KEEP_CUES)
    assert len(kept) == 1 and kept.fixed == ("gender_0",) and "'hijab' reveals gender" in kept.notice


# --- the neutral table ---------------------------------------------------------------------------


def test_every_strong_cue_has_a_neutral_form_or_a_reason_it_has_none() -> None:
    table = cue_table()
    without = _data("neutral.json")["none"]
    missing = [
        word
        for entry in _data("cues.json")["cues"]
        if entry["strength"] == "strong"
        for word in entry["words"]
        if surface_key(word) not in table.neutral and word not in without
    ]
    assert missing == []
    assert all(surface_key(word) not in table.neutral for word in without)  # no stale reason


def test_a_neutral_form_in_the_plural_for_a_singular_cue_takes_no_article() -> None:
    # "a bride holding a bouquet" was sent as "... holding a flowers": a plural form must be listed
    # as taking no article ("mass"), as "onesie" -> "pajamas" is
    data = _data("neutral.json")
    mass = set(data["mass"])
    unlisted = [
        (cue, form)
        for cue, form in data["neutral"].items()
        if form.endswith("s") and not form.endswith("ss") and not cue.endswith("s") and form not in mass
    ]
    assert unlisted == []


def test_a_plural_cue_gets_a_plural_form_and_a_listed_plural_its_own() -> None:
    assert neutral_form("wedding dresses") == "wedding outfits"
    assert neutral_form("dresses") == "outfits" and neutral_form("kimonos") == "robes"
    assert neutral_form("beards") == "" and neutral_form("braces") == ""  # "braces" is listed as it is
    assert neutral_form("rice paddies") == "fields" and neutral_form("nativity") is None


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        # a dropped head takes its article, modifiers and link along, whatever follows it
        ("a princess with a tiara riding a unicorn", "a princess riding a unicorn"),
        ("a woman with a high ponytail jogging in Central Park", "a woman jogging in Central Park"),
        ("a woman with a messy bun and hoop earrings drinking iced coffee", "a woman drinking iced coffee"),
        ("a young man with a lumberjack beard and a flannel shirt", "a young man with a flannel shirt"),
        ("a man with stubble wearing a flat cap, London pub", "a man wearing a hat, London pub"),
        ("an old man with a walking cane crossing a cobbled street", "an old man crossing a cobbled street"),
        # a modifier goes alone
        ("a bearded man in a flannel shirt chopping wood", "a man in a flannel shirt chopping wood"),
        ("(bearded man:1.3), flannel, axe, forest cabin", "(man:1.3), flannel, axe, forest cabin"),
        # a weighted cue alone keeps the weight on a neutral word; a tag goes with its comma
        (
            "(young woman:1.3) (freckles:1.1) portrait, soft light",
            "(young woman:1.3) (detailed face:1.1) portrait, soft light",
        ),
        ("1boy, male focus, short hair, hoodie, city lights", "1boy, male focus, hoodie, city lights"),
        # forms: articles by sound, none for a mass noun, plurals, a verb for a verb
        # a woman's role with no pair in the taxonomy is sent as the role
        (
            "1girl, kunoichi, red scarf, crouching on a rooftop",
            "1girl, masked warrior, red scarf, crouching on a rooftop",
        ),
        ("1girl, valkyrie, winged helmet, spear", "1girl, winged warrior, winged helmet, spear"),
        # a maternity ward suggests a mother (the evaluator's context attacker used it)
        (
            "a tired young mother holding her baby in a maternity ward at dawn",
            "a tired young mother holding her baby in a hospital ward at dawn",
        ),
        ("a woman in a bikini on a beach", "a woman in swimwear on a beach"),
        ("a bride holding a bouquet on the church steps", "a bride holding flowers on the church steps"),
        # events, dress and states that tell a gender (a bachelorette party is no person)
        ("a bride at her bachelorette party in Vegas, neon", "a bride at her party in Vegas, neon"),
        ("a man at his stag do in Prague, pub crawl", "a man at his party in Prague, pub crawl"),
        ("mother-daughter tattoo artists, mom 52, daughter 27", "parent-child tattoo artists, mom 52, daughter 27"),
        ("pensioners queuing at the post office on pension day", "seniors queuing at the post office on payday"),
        # after a possessive a dropped cue would leave "in his" alone: another word of the body
        (
            "a grandfather laughing with cake frosting in his beard",
            "a grandfather laughing with cake frosting in his hair",
        ),
        ("a man stroking his goatee, chess board", "a man stroking his chin, chess board"),
        # a dropped cue leaves no comma before the full stop
        ("An old man feeds pigeons. He is tall, with a white beard.", "An old man feeds pigeons. He is tall."),
        ("a young woman doing prenatal yoga, sunny studio", "a young woman doing yoga, sunny studio"),
        ("1girl, serafuku, classroom, window", "1girl, uniform, classroom, window"),
        ("1girl, maid outfit, cafe, holding tray", "1girl, uniform, cafe, holding tray"),
        ("1girl, maid, maid headdress, maid apron, cafe", "1girl, maid, headdress, outfit, cafe"),  # no butler's
        ("an androgynous young man in a linen shirt", "a young man in a linen shirt"),
        # a wedding's attendants ("the maid of honor" had had the decoy "the butler of honor")
        ("best man giving a toast, wedding reception", "wedding attendant giving a toast, wedding reception"),
        ("the maid of honor hugging the bride", "the wedding attendant hugging the bride"),
        ("90s boy band album cover, four guys in white satin", "90s band album cover, four guys in white satin"),
        ("album cover, boy group of five in a field", "album cover, group of five in a field"),
        ("Mrs. Tanaka, retired teacher, arranging ikebana", "Ms. Tanaka, teacher, arranging ikebana"),
        ("sweet 16 birthday card, a smiling teen in a tiara", "birthday card, a smiling teen in a tiara"),
        # a school before a noun only a child can be narrows the age, as "little" does
        ("two high school girls sharing earphones on a train", "two girls sharing earphones on a train"),
        ("a kindergarten boy with a backpack", "a boy with a backpack"),
        ("little sister holding balloons at the party", "sister holding balloons at the party"),
        # ... with its own brackets and weight, which go with it
        ("a (young:1.2) girl decorating a tree, fairy lights", "a girl decorating a tree, fairy lights"),
        ("((little)) boy opening presents, morning", "boy opening presents, morning"),
        ("1boy, kid, 4 years old, holding a toy dinosaur", "1boy, 4 years old, holding a toy dinosaur"),  # a tag alone
        ("1girl, child, 5 years old, drawing on paper", "1girl, 5 years old, drawing on paper"),
        ("1boy, solo, child, toddler, sun hat, beach", "1boy, solo, toddler, sun hat, beach"),  # before its noun tag
        # ... but not after a child's own tag, whose age it would become
        (
            "baby, infant, 6 months, onesie, sleeping, soft light",
            "baby, child, 6 months, pajamas, sleeping, soft light",
        ),
        # two cues in a row with one neutral form send it once
        ("a little girl modeling a tutu dress, white seamless", "a girl modeling an outfit, white seamless"),
        ("a young woman in a sari at a temple festival", "a young woman in an outfit at a temple festival"),
        ("3girls, sisters, matching dresses, easter, garden", "3girls, sisters, matching outfits, easter, garden"),
        ("a woman in overalls painting a fence", "a woman in an outfit painting a fence"),
        # an adverb of degree goes with the adjective it modifies ("a heavily woman" had been sent)
        ("a heavily pregnant woman in a sunlit nursery", "a woman in a sunlit nursery"),
        ("a visibly pregnant woman at the bus stop", "a woman at the bus stop"),
        ("a young mother breastfeeding her baby, soft light", "a young mother holding her baby, soft light"),
        ("a woman with a breastfeeding cover", "a woman with a cover"),
        # a hyphenated modifier made from a cue implies what the cue does, and goes alone
        (
            "a young woman in a hanbok-inspired streetwear jacket, neon alley",
            "a young woman in a streetwear jacket, neon alley",
        ),
        ("a man in a kimono-style robe drinking tea", "a man in a robe drinking tea"),
        # a dropped cue never takes the words of a cue before it, kept or replaced
        ("a woman dancing at a festival, Day of the Dead makeup", "a woman dancing at a festival, Day of the Dead"),
        ("a Mexican woman dancing, Day of the Dead makeup", "a Hispanic woman dancing, celebration"),
    ],
)
def test_the_default_sends_grammatical_text(prompt: str, sent: str) -> None:
    cset = cloud_view(prompt, seed=0)
    assert cset.true_prompt == sent
    assert not [r for r in revealed(cset) if r.strength == "strong" and r.varied]
    assert not cset.fixed  # nothing had to be fixed


@pytest.mark.parametrize(
    ("prompt", "sent"),
    [
        ("a 20-year-old girl at the prom", "a 20-year-old woman at the formal dance"),
        ("18-year-old girl at prom, flash photo", "18-year-old woman at a formal dance, flash photo"),
    ],
)
def test_a_cue_that_an_adult_noun_makes_generalisable_is_sent_as_its_members_send_it(prompt: str, sent: str) -> None:
    """A child noun after an adult's age is sent as the adult noun, which makes the age varied; a cue
    of age ("prom") is then sent as its neutral form, as every member, re-read, sends it (the set
    had held "prom" while its members made sets with "formal dance": closure failed)."""
    cset = cloud_view(prompt, seed=0)
    assert cset.true_prompt == sent
    assert len(cset) > 1
    for member in cset.candidates:
        assert cloud_view(member, seed=0).candidates == cset.candidates, member


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a young couple, she is pregnant, painting the nursery", "pregnant"),  # "she is," would be left
        ("a chorus girl backstage fixing her makeup", "makeup"),  # "fixing her" would be left: "her" is a slot
    ],
)
def test_a_cue_that_cannot_be_dropped_is_kept_and_told(prompt: str, word: str) -> None:
    cset = cloud_view(prompt, seed=0)
    assert word in cset.true_prompt and f"'{word}'" in cset.notice
    assert f"hidden among {anonymity(cset)} of {len(cset)}" in cset.notice
    # what a kept strong cue reveals is not varied
    assert not [r for r in revealed(cset) if r.strength == "strong" and r.varied]


# --- binding -------------------------------------------------------------------------------------


def test_a_cue_speaks_of_the_person_who_has_the_attribute_it_reveals() -> None:
    # detection reads "elderly" as a person of its own; the beard is still the man's
    kept = cloud_view("man, elderly, beard, forest, cinematic", seed=0, policy=KEEP_CUES)
    assert kept.fixed == ("gender_0",) and "'beard' reveals gender, so gender is not varied" in kept.notice
    cset = cloud_view("man, elderly, beard, forest, cinematic", seed=0)
    assert cset.true_prompt == "man, old, forest, cinematic" and len(cset) == 6 == anonymity(cset)
    # a cue that the nearest person can carry stays with that person
    two = cloud_view("a woman next to a man with a beard", seed=0, policy=KEEP_CUES)
    assert two.fixed == ("gender_1",)


# --- properties of what the default sends (hypothesis) -------------------------------------------

SUBJECTS = ["a woman", "an old man", "a young Asian woman", "a girl", "man", "1girl", "(old woman:1.2)"]
LINKS = [" with ", " wearing ", ", ", " in ", " holding ", " and "]
AFTER = ["", " reading a book", ", studio lighting", " on a beach at sunset", " smiling at the camera"]
STRONG = sorted(
    {
        w
        for e in _data("cues.json")["cues"]
        if e["strength"] == "strong" and e["attribute"] in ("gender", "age", "ethnicity")
        for w in e["words"]
        if w[0].isalpha()
    }
)
# text a drop must never leave behind (unless the user wrote it)
DANGLING = re.compile(r"\b(?:a|an|the|with|wearing|in|holding|and)\s*(?:[,.;:)\]]|$)|\(\s*:|,\s*,|\(\s*\)")


@st.composite
def cue_prompts(draw) -> str:
    text = draw(st.sampled_from(SUBJECTS))
    for _ in range(draw(st.integers(1, 3))):
        text += (
            draw(st.sampled_from(LINKS)) + draw(st.sampled_from(["a ", "", "a long "])) + draw(st.sampled_from(STRONG))
        )
    return text + draw(st.sampled_from(AFTER))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=cue_prompts(), seed=st.integers(0, 3))
def test_the_default_leaves_no_dangling_words_and_names_every_strong_cue_it_keeps(prompt: str, seed: int) -> None:
    try:
        cset = cloud_view(prompt, seed=seed)
    except InvalidInputError:
        return
    if not DANGLING.search(prompt):
        assert not DANGLING.search(cset.true_prompt), cset.true_prompt
    assert "  " not in cset.true_prompt
    kept = [r for r in revealed(cset) if r.strength == "strong"]
    assert not [r for r in kept if r.varied]
    for r in kept:  # told: the notice names it
        assert repr(r.word) in (cset.notice or ""), (prompt, r.word)  # quoted as Python quotes it
    for member in sorted(cset.candidates)[:2]:  # still a function of the set
        assert cloud_view(member, seed=seed).candidates == cset.candidates


def test_the_default_varies_the_attribute_in_nearly_every_prompt_with_a_strong_cue() -> None:
    """On the tuning list of cue prompts: a strong cue left in clear beside the attribute it reveals
    (so that attribute is fixed) in at most 1 prompt in 20."""
    prompts = [
        line.split("\t")[0]
        for line in (BENCH / "cue_prompts.tsv").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "prompt\t"))
    ]
    cued = fixed = 0
    for prompt in prompts:
        kept = cloud_view(prompt, seed=0, policy=KEEP_CUES)
        if not [
            r
            for r in revealed(kept)
            if r.strength == "strong" and any(a.person == r.person and a.kind == r.attribute for a in kept.attributes)
        ]:
            continue
        cued += 1
        cset = cloud_view(prompt, seed=0)
        fixed += bool(set(cset.fixed))
    assert cued >= 30 and fixed <= cued / 20


@pytest.mark.parametrize(
    ("prompt", "policy"),
    [
        ('muslim woman in a hijab selling books, cardboard sign "كتب مستعملة", cairo', None),
        ('an old woman in a headscarf walking past a soviet mosaic that says "Слава труду!", snow', None),
        ('a korean grandmother in hanbok outside a tiny shop with sign "할머니 국수", night', None),
        ('a bearded man reading a sign "할머니 국수" in seoul', KEEP_CUES),
    ],
)
def test_a_generalised_or_fixed_set_keeps_the_line_on_words_it_cannot_read(prompt: str, policy: str | None) -> None:
    # a set expanded again from its generalised (or cue-fixed) template had lost the reading
    # warnings: the user's prompt was sent without "only English is read", while every other
    # member of its set, having no cue to generalise, kept it, so the set was not closed
    sent = cloud_view(prompt, seed=3, policy=policy, max_candidates=8)
    assert "only English is read" in (sent.notice or "")
    for member in sent.candidates:
        again = cloud_view(member, seed=3, policy=policy, max_candidates=8)
        assert again == sent and again.candidates == sent.candidates
        assert again.notice == sent.notice


@pytest.mark.parametrize(
    "prompt",
    [
        "A young woman braiding her little sister's hair. She wears a kimono. The younger girl laughs.",
        "A young Nigerian woman braiding her little sister's hair. She wears an ankara wrap dress. "
        "The younger girl laughs.",
    ],
)
def test_a_cue_between_the_and_a_person_stays_so_every_member_generalises_alike(prompt: str) -> None:
    # "The younger girl" sent as "The girl" refers back to the sister, whose values agree, and the
    # rewrite was refused (persons changed) for the user's prompt; a member with "The younger boy"
    # kept its persons and was generalised: two sets from one, not closed
    sent = cloud_view(prompt, seed=1)
    for member in sent.candidates:
        assert cloud_view(member, seed=1) == sent
