"""`obclip eval privacy`: the corpus format, what counts as a leak, a disagreement and a changed
prompt, the context attacker against 1/N and the shown anonymity, the hostile-Unicode set, the
refusal and time-out accounting, and the public corpus itself."""

from __future__ import annotations

import random
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import obclip.eval.privacy as ev
from obclip.errors import InvalidInputError
from obclip.eval import privacy_words as pw
from obclip.eval.privacy import (
    HOSTILE_KINDS,
    CorpusPrompt,
    _shown_anonymity,
    _told_words,
    _zipf,
    attacker_rates,
    changed_kinds,
    context_attack,
    disagreeing,
    disagreements,
    evaluate_corpus,
    fixed_mix,
    hostile_set,
    leaks,
    read_corpus,
)
from obclip.privacy import build_candidate_set, parse_taxonomy

CORPUS = Path(__file__).parents[2] / "corpus" / "privacy"
STYLES = {"tags", "weights", "multi", "hostile", "lang"}


def write(tmp_path: Path, rows: list[str], header: str = "prompt\tsensitive\tperson") -> Path:
    path = tmp_path / "corpus.tsv"
    path.write_text("# test corpus\n" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --- the corpus ------------------------------------------------------------------------------


def test_the_corpus_format_reads_labels_persons_and_optional_kinds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            "a young woman\tage:young, gender:woman\tyes",
            "a red car\t-\tno",
            "1girl, solo\tgender:1girl\tyes\ttags,lang:en",
        ],
        header="prompt\tsensitive\tperson\tkind",
    )
    items = read_corpus(path)
    assert items[0].prompt == "a young woman" and items[0].labels == (("age", "young"), ("gender", "woman"))
    assert items[0].kinds == () and items[0].line == 3 and items[0].language == "en"
    assert items[1].labels == () and not items[1].person
    assert items[2].kinds == ("tags", "lang:en")


def test_an_unknown_kind_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"line 3: kind 'poem'"):
        read_corpus(write(tmp_path, ["a man\tgender:man\tyes\tpoem"]))


def test_the_public_corpus_is_large_styled_split_and_consistently_labelled() -> None:
    files = sorted(CORPUS.glob("*.tsv"))
    items = [item for path in files for item in read_corpus(path)]
    assert len(items) >= 1000
    styled = [i for i in items if {k.partition(":")[0] for k in i.kinds} & STYLES]
    assert len(styled) >= len(items) / 4
    assert {i.language for i in items} >= {"en", "es", "fr", "de", "ja", "zh", "ru"}
    assert sum(not i.person for i in items) >= 150
    assert {"styles-dev.tsv", "styles-heldout.tsv"} <= {p.name for p in files}
    for item in items:  # every label is a word of its prompt, as a person reads it
        if "hostile" in item.kinds:
            continue  # a hostile line labels the plain word of a disguise ("o l d", "m4n")
        for word in item.words():
            assert pw.read_as_seen(word) in pw.read_as_seen(item.prompt), (item.source, item.line, word)


# --- leaks -----------------------------------------------------------------------------------


def test_a_word_sent_in_every_candidate_is_a_leak_and_a_varied_one_is_not(tmp_path: Path) -> None:
    narrow = parse_taxonomy(
        {
            "format": "obclip-taxonomy/1",
            "attributes": [
                {
                    "name": "gender",
                    "values": [{"value": "f", "forms": {"n": ["woman"]}}, {"value": "m", "forms": {"n": ["man"]}}],
                }
            ],
        }
    )
    items = read_corpus(write(tmp_path, ["an old woman\tage:old, gender:woman\tyes"]))
    summary, results = evaluate_corpus(items, taxonomy=narrow, seed=0)
    assert results[0].leaked == {"age": ["old"]} and results[0].n == 2
    assert summary.leak_rate == 1.0 and summary.leak_by_category == {"gender": 0.0, "age": 1.0}


def test_a_religion_word_in_clear_is_counted_told_when_the_product_names_it(tmp_path: Path) -> None:
    lines = [
        "a jain monk on a dusty road\treligion:jain\tyes",
        "a sikh man with a long beard\treligion:sikh\tyes",
        "an old tengrist woman by a yurt\treligion:tengrist\tyes",
    ]
    summary, results = evaluate_corpus(read_corpus(write(tmp_path, lines)), seed=0)
    assert [r.leaked.get("religion") for r in results] == [["jain"], ["sikh"], ["tengrist"]]
    assert summary.leak_by_category["religion"] == 1.0
    assert summary.religion_told == pytest.approx(2 / 3)  # "jain" and "sikh" are named; "tengrist" is not read


@pytest.mark.parametrize(
    "sent",
    ["wo\u200bman", "w\u043em\u0430n", "\uff57\uff4f\uff4d\uff41\uff4e", "wo\u0301man", "\u202ewoman\u202c", "wo_man"],
)
def test_a_disguised_word_in_every_candidate_is_still_a_leak(sent: str) -> None:
    item = CorpusPrompt("a woman reading", (("gender", "woman"),), True, 1)
    found = leaks(item, [f"a {sent} reading", f"an old {sent} reading"])
    assert found == ({"gender": ["woman"]} if sent != "wo_man" else {})


# --- agreement -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a 75-year-old boy flying a kite", "age"),
        ("a 6-year-old woman on a swing", "age"),
        ("an elderly toddler in a sandbox", "age"),
        ("a teenage grandfather on a porch", "age"),
        ("a young man aged 80 on a bench", "age"),
        ("an old woman, 25 years old, reading", "age"),
        ("an old woman in her 20s knitting", "age"),
        ("Ms. Tanaka, an old man, at the market", "apposition"),
        ("a king and his son, the princess, on a balcony", "apposition"),
        ("a queen and his son at the gate", "possessive"),
        ("a man holding her hat", "pronoun"),
        ("an young man", "article"),
    ],
)
def test_a_candidate_that_contradicts_itself_is_found(text: str, kind: str) -> None:
    assert any(p.startswith(kind + ":") for p in disagreements(text)), disagreements(text)


@pytest.mark.parametrize(
    "text",
    [
        "a man and a woman; she hands him her cup",
        "a 75-year-old man flying a kite",
        "a king and his daughter, the princess, on a balcony",
        "Mr. Tanaka, an old man, at the market",
        "a 9-year-old girl and her grandmother",
        "an old woman holding her cat",
        "a young grandmother on a swing",
        "an old man, 80 years old, reading",
        "a young woman aged 25 on a bike",
        "an old man in his 70s",
        "an old man and a woman in her 20s",
        "a kid in the 80s with crimped hair, mirror selfie",  # "the 80s" is an era, no age
    ],
)
def test_a_consistent_candidate_is_not_flagged(text: str) -> None:
    assert disagreements(text) == []


def test_a_set_is_judged_against_the_users_own_prompt() -> None:
    prompt = "a 75-year-old man flying a kite"
    assert disagreeing(["a 75-year-old man flying a kite", "a 75-year-old woman flying a kite"], prompt) == []
    found = disagreeing(["a 75-year-old man flying a kite", "a 75-year-old boy flying a kite"], prompt)
    assert found == ["age: 75-year-old boy"]
    odd = "a man holding her hat"  # odd on purpose: a decoy that keeps the oddity is fine
    assert not any(p.startswith("pronoun") for p in disagreeing([odd, "a woman holding his hat"], odd))


def test_one_person_tagged_both_genders_disagrees() -> None:
    assert disagreements("1boy, solo, woman, red hair") == ["gender: one person tagged female and male"]
    assert disagreements("(mature_male:1.2), 1girl, armor") == ["gender: one person tagged female and male"]
    assert disagreements("1boy, witch_hat, broom") == []  # a tag that ends in a thing is the thing
    assert disagreements("1girl, solo, woman, red hair") == []
    assert disagreements("1girl, woman, old man, park") == []  # maybe two persons: not judged
    assert disagreeing(["1boy, solo, woman", "1girl, solo, woman"], "1girl, solo, woman") == [
        "gender: one person tagged female and male"
    ]


def test_a_name_renamed_after_a_comma_is_one_person_not_a_couple() -> None:
    """ "aunty Pat, a sixtyish gal" is one person: her gender in every candidate is no couple's
    fixed mix. A list of persons stays a couple."""
    assert fixed_mix(["aunty Pat, a sixtyish gal, swimming", "uncle Pat, a sixtyish guy, swimming"]) is None
    nun = ["sister Agnes, an Irish nun in her eighties", "brother Agnes, an Irish monk in his eighties"]
    assert fixed_mix(nun) is None
    assert fixed_mix(["Mr. Tanaka, a retired salaryman", "Ms. Tanaka, a retired salarywoman"]) is None
    assert fixed_mix(["a woman, a man and a dog", "a man, a woman and a dog"]) == "couple: always mixed"


def test_a_count_tag_and_nouns_of_its_gender_are_one_person() -> None:
    one = ["1girl, old woman, grandmother, yukata, lantern", "1boy, old man, grandfather, yukata, lantern"]
    assert fixed_mix(one) is None  # one person: no couple's mix


def test_the_man_said_again_is_one_person_not_a_couple() -> None:
    """ "an old Cuban man ... The man is maybe sixty-five" names one man twice: his gender in every
    candidate is no couple's fixed mix. "the groom" after a bride is a second person."""
    again = ["an old Cuban man sits. The man is maybe sixty-five.", "an old Cuban woman sits. The woman smiles."]
    assert fixed_mix(again) is None
    assert fixed_mix(["a bride walks behind the groom", "a groom walks behind the bride"]) == "couple: always mixed"


def test_a_couple_whose_gender_mix_never_changes_is_flagged() -> None:
    always_mixed = ["a man and a woman; he waves", "a woman and a man; she waves"]
    assert fixed_mix(always_mixed) == "couple: always mixed"
    assert fixed_mix(["two women on a date", "two men on a date"]) == "couple: always same"
    every = ["a man and a man", "a man and a woman", "a woman and a man", "a woman and a woman"]
    assert fixed_mix(every) is None
    assert fixed_mix(["an old man", "a young man"]) is None  # one person: no mix to reveal
    solo = ["mature_female, solo, office_lady, glasses", "mature_male, solo, salaryman, glasses"]
    assert fixed_mix(solo) is None  # a tag list of one person: two tags of one person are no couple
    # one booru count tag and no other count: one person ("1girl" counts everyone in the picture)
    assert fixed_mix(["female knight, 1girl, armor", "male knight, 1boy, armor"]) is None
    tags = ["1boy, muscular male, dark-skinned male, bald", "1girl, muscular female, dark-skinned female, bald"]
    assert fixed_mix(tags) is None  # "male" tags beside a count tag are the counted person's
    assert fixed_mix(["1girl, 1boy, woman, beach", "1boy, 1girl, man, beach"]) == "couple: always mixed"
    assert fixed_mix(["monks chanting", "nuns chanting"]) == "group: always same"


# --- the context attacker --------------------------------------------------------------------


def test_a_cue_that_makes_the_answer_certain_is_found() -> None:
    candidates = ["a bearded woman chopping wood", "a bearded man chopping wood"]
    attack = context_attack(candidates)
    assert attack.winners == (1,) and [c.phrase for c in attack.used] == ["bearded"]
    assert attack.success(1) == 1.0 and attack.success(0) == 0.0
    kimono = [f"a {e} woman in a kimono" for e in ("Japanese", "Nigerian", "Irish", "Mexican")]
    assert context_attack(kimono).winners == (0,)
    aged = [
        "an old woman with a walking cane",
        "a young woman with a walking cane",
        "a middle-aged woman with a walking cane",
    ]
    assert context_attack(aged).winners == (0,)


def test_a_cue_on_an_attribute_that_does_not_vary_is_not_used() -> None:
    attack = context_attack(["a bearded old man", "a bearded young man"])
    assert attack.used == () and attack.winners == (0, 1)


@pytest.mark.parametrize("n", [2, 3, 6])
def test_without_a_cue_the_attacker_gets_1_over_n_over_seeds(n: int) -> None:
    values = ["an old man", "a young woman", "a middle-aged man", "an old woman", "a young man", "a middle-aged woman"]
    candidates = [f"{v} reading a newspaper on a bench" for v in values[:n]]
    attack = context_attack(candidates)
    assert attack.used == () and len(attack.winners) == n
    hits = 0
    trials = 3000
    for seed in range(trials):
        rng = random.Random(seed)
        true_index = rng.randrange(n)
        hits += rng.choice(attack.winners) == true_index
    assert abs(hits / trials - 1 / n) < 0.03


@pytest.mark.parametrize("prompt", ["portrait of a young African woman", "a bearded man in a kimono"])
def test_on_a_closed_set_every_attacker_adds_up_to_one_over_the_members(prompt: str) -> None:
    """Whichever member is true, the cloud sees the same set: a rule that picks from it is right for
    1/N of the members (ties shared). What the context attacker gains is skew, never luck."""
    zipf = _zipf()
    members = build_candidate_set(prompt, seed=5).candidates
    totals = {"agreement": 0.0, "plausibility": 0.0, "odd_one_out": 0.0, "context": 0.0}
    for member in members:
        cset = build_candidate_set(member, seed=5)
        assert cset.candidates == members
        for name, rate in attacker_rates(cset, zipf).items():
            totals[name] += rate
        totals["context"] += context_attack(cset.candidates).success(cset.true_index)
    assert totals == {name: pytest.approx(1.0) for name in totals}


def test_the_evaluator_reads_the_anonymity_and_words_the_product_shows() -> None:
    from obclip.privacy import correlate
    from obclip.view import cloud_view

    cset = cloud_view("portrait of a pregnant young woman with grey hair, holding a cane", seed=0, policy="keep-cues")
    assert _shown_anonymity(cset) == correlate.anonymity(cset) == correlate.report(cset)["anonymity"]
    told = _told_words(cset)
    assert "pregnant" in told and set(told) >= {r.word for r in correlate.revealed(cset)}


def test_a_strong_cue_the_notice_does_not_name_is_reported(tmp_path: Path) -> None:
    items = read_corpus(write(tmp_path, ["a woman in a wedding dress\tgender:woman\tyes"]))
    _, results = evaluate_corpus(items, seed=3, policy="keep-cues")
    r = results[0]
    if r.context_success is None:  # the rules no longer vary gender here: nothing left to attack
        assert r.n == 1 or r.anonymity < r.n
    else:
        assert r.cues == ["wedding dress"] and r.context_certain
        named = pw.read_as_seen("wedding dress") in " ".join(pw.read_as_seen(w) for w in r.residual)
        assert r.cues_unnamed == ([] if named else ["wedding dress"])


# --- user prompts changed --------------------------------------------------------------------


def test_changes_to_the_users_own_prompt_are_classified() -> None:
    boy = CorpusPrompt("a 9-year-old boy with a kite", (("age", "9-year-old"), ("gender", "boy")), True, 1)
    assert changed_kinds(boy, "a 20-year-old boy with a kite") == ["age category", "number"]
    assert changed_kinds(boy, "a 9-year-old boy with a kite") == []
    name = CorpusPrompt("Fatima baking bread", (("gender", "Fatima"),), True, 1)
    assert changed_kinds(name, "Emma baking bread") == ["name"]
    girls = CorpusPrompt("3girls, beach", (("gender", "3girls"),), True, 1)
    assert changed_kinds(girls, "2girls, beach") == ["number", "persons"]
    baby = CorpusPrompt("her newborn asleep", (("age", "newborn"),), True, 1)
    assert "age category" in changed_kinds(baby, "her young asleep")
    # measured against the normalised text the user is shown as theirs ("0ld m4n" is "old man")
    leet = CorpusPrompt("0ld m4n fishing", (("age", "0ld"), ("gender", "m4n")), True, 1)
    assert changed_kinds(leet, "old man fishing") == []
    # an age in months is an age: the infant noun after it adds no bucket
    infant = CorpusPrompt("a 6-month-old infant crawling", (("age", "6-month-old"), ("age", "infant")), True, 1)
    assert changed_kinds(infant, "a 6-month-old crawling") == []
    assert changed_kinds(infant, "a 15-year-old crawling") == ["age category", "number"]
    # a title written with its period and a demonym are no names, though labelled gender
    titled = CorpusPrompt("Mrs. Okonkwo teaching", (("gender", "Mrs."),), True, 1)
    assert changed_kinds(titled, "Ms. Okonkwo teaching") == []
    demonym = CorpusPrompt("Filipina nurse smiling", (("ethnicity", "Filipina"), ("gender", "Filipina")), True, 1)
    assert changed_kinds(demonym, "Asian nurse smiling") == []
    assert changed_kinds(CorpusPrompt("Ama smiling", (("gender", "Ama"),), True, 1), "Emma smiling") == ["name"]


# --- hostile Unicode -------------------------------------------------------------------------


def test_the_hostile_set_disguises_a_labelled_word_in_every_way_and_reads_the_same() -> None:
    items = [
        CorpusPrompt("portrait of an old woman, studio light", (("age", "old"), ("gender", "woman")), True, 1),
        CorpusPrompt("José fixing a bicycle", (("gender", "José"),), True, 2),
        CorpusPrompt("a Nigerian man laughing", (("ethnicity", "Nigerian"), ("gender", "man")), True, 3),
    ]
    made = hostile_set(items, per_kind=3, seed=1)
    kinds = {k.partition(":")[2] for m in made for k in m.kinds if k.startswith("hostile:")}
    assert kinds == set(HOSTILE_KINDS)
    for item in made:
        original = next(i for i in items if i.line == item.line)
        assert item.prompt != original.prompt and item.labels == original.labels and item.source == "hostile"
        assert pw.read_as_seen(item.prompt) == pw.read_as_seen(original.prompt)
    homoglyphs = [m for m in made if "hostile:homoglyph" in m.kinds]
    assert all(any(unicodedata.name(c).startswith(("CYRILLIC", "GREEK")) for c in m.prompt) for m in homoglyphs)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["woman", "old", "Japanese", "grandfather", "girl"]), st.integers(0, 10**6))
def test_every_disguise_reads_as_the_word(word: str, seed: int) -> None:
    rng = random.Random(seed)
    for kind in HOSTILE_KINDS:
        disguised = ev._disguise(word, kind, rng)
        if disguised is not None:
            assert disguised != word and pw.read_as_seen(disguised) == word.casefold()


# --- refusals, crashes and time --------------------------------------------------------------


def test_refusals_crashes_and_slow_prompts_are_counted_not_raised(tmp_path: Path, monkeypatch) -> None:
    real = ev.cloud_view

    def view(prompt: str, **kwargs):
        if prompt.startswith("refuse"):
            raise InvalidInputError("refused for the test")
        if prompt.startswith("crash"):
            raise RuntimeError("boom")
        if prompt.startswith("hang"):
            time.sleep(5)
        return real(prompt, **kwargs)

    monkeypatch.setattr(ev, "cloud_view", view)
    items = read_corpus(
        write(
            tmp_path, ["refuse me\t-\tno", "crash me\t-\tno", "hang me\t-\tno", "an old man\tage:old, gender:man\tyes"]
        )
    )
    summary, results = evaluate_corpus(items, seed=1, timeout_s=0.5)
    assert [r.refused is not None for r in results] == [True, False, False, False]
    assert results[1].crashed == "RuntimeError: boom"
    assert results[2].crashed is not None and "0.5 s" in results[2].crashed and results[2].seconds < 2
    assert summary.refused == 1 and summary.crashed == 2 and summary.sent == 1


@pytest.mark.slow
def test_the_stress_prompts_are_100_kb_and_answered_or_counted() -> None:
    items = [CorpusPrompt("portrait of an old woman", (("age", "old"), ("gender", "woman")), True, 1)]
    prompts = ev.stress_set(items)
    assert len(prompts) == 4 and all(len(p.prompt) == 100_000 for p in prompts)
    summary, results = evaluate_corpus(items, seed=1, stress=True, timeout_s=3)
    assert summary.stress["prompts"] == 4 and len(results) == 5
    assert all(r.refused or r.crashed or r.n >= 1 for r in results[1:])
    assert summary.stress["max_seconds"] < 10


@pytest.mark.slow
def test_the_tuning_corpus_keeps_the_structural_promises() -> None:
    """What held before issue 17 must keep holding: no traceback, closure, a uniform true
    position, surface attackers at 1/N (the issue's new targets are reported, not asserted here)."""
    items = read_corpus(CORPUS / "tune.tsv")
    summary, _ = evaluate_corpus(items, seed=1)
    assert summary.crashed == 0 and summary.closure_failures == 0
    assert summary.position_chi2_p is not None and summary.position_chi2_p > 0.001
    assert summary.best_attacker_margin <= 0.03
    assert summary.context["success"] >= summary.context["chance_1_over_n"] or summary.context["prompts_with_cue"] == 0
