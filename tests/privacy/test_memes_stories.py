"""People as memes, stickers and story panels name them, and the things such prompts name with person
words: merchandise slogans ("world's best grandpa mug"), captions and labels in quotes before what
they are on ('"grandma's secret recipe" tin'), titles of books ("a copy of Of Mice and Men"), a toy
of a young animal ("baby shark plush toy"), a meme redrawn with animals; and ages said of the one a
meme shows ("POV: you're 8 and ...") or after "of" before an adjective ("a girl of seventeen
asleep"). Each had been read wrongly; the words next to them that say something else stay read as
they were."""

from __future__ import annotations

import pytest
from tests.privacy.test_invariant import assert_closed, assert_varied

from obclip.privacy import build_candidate_set


@pytest.mark.parametrize(
    "prompt",
    [
        "world's best grandpa mug on a cluttered desk, morning light, product photo",
        "World's Best Grandma coffee mug on a windowsill",
        "a #1 dad t-shirt on a hanger",
        '"grandma\'s secret recipe" tin on a shelf, vintage label, warm kitchen',
        '"mom said it\'s my turn on the xbox" meme, two cats fighting over a controller',
        '"the boys" group chat icon, cartoon frogs in sunglasses, circle crop',
        'a "dad mode" fanny pack with too many zippers, product photo on white',
        "baby shark plush toy with a tiny crown, toy photography",
        "a baby koala plush toy on a shelf",
        "distracted boyfriend meme redrawn with three corgis, the corgi looking back at a pizza",
        "a dog-eared copy of Of Mice and Men on a motel nightstand, neon through the blinds",
        "a leather bound copy of Sons and Lovers on a windowsill, rain streaks",
        "The Boy Who Cried Wolf picture book lying open on a grassy hill, pages fluttering",
        "an abandoned Little Prince themed carousel, fog, wide shot",
        "a worn copy of Little Women on a shelf",
        'a cat wearing a tiny cowboy hat, reaction image, "me when the mailman arrives"',
        'meme recreated with hamsters: "disaster girl" smile in front of a burning dollhouse',
        'meme: "old man yells at cloud" but it\'s just the angry cloud yelling back, simpsons style',
        '"pov: your grandma finds your vape" meme, a cat in a hoodie',
        "a t-shirt that says girl dad, folded on a bed",
        'a lamp with a sticky note "dad is watching", meme',
        "a man bun hair tie pack on a bathroom counter, product shot",
        "a dad bod beer belly costume on a hanger",
        "a girl dinner plate: cheese, crackers, grapes, pickles",
        "a wife beater tank top on a hanger",
        "the ladies room sign with a sloth on it",
    ],
)
def test_person_words_of_slogans_labels_titles_and_toys_name_no_one(prompt: str) -> None:
    """Each had been sent with N > 1, its person word varied ("world's best grandma mug", "Of
    Mice and Women", "a toddler shark plush toy"): the cloud learns nothing from such a set, and the
    user's mug, book or toy is drawn otherwise."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.candidates
    assert cset.true_prompt == prompt


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("the world's best grandpa fishing at a lake", "grandpa"),  # no thing the slogan is printed on
        ("a man in a world's best grandpa t-shirt", "man"),  # the wearer is a person still
        ("a woman holding a plush toy", "woman"),
        ("distracted boyfriend meme redrawn as a renaissance painting", "boyfriend"),  # its persons, painted
        ("a copy of white men on a shelf", "men"),  # no capitals, no title
        ("a copy of Old Yeller women on a shelf", "women"),  # a title's words are capitalised
        ("An Old Man Reading A Book", "Man"),  # title case throughout says no title
        ("a girl reading a book under a tree", "girl"),
        ("a man with a dad bod grilling", "man"),
        ("a guy with a man bun playing guitar", "guy"),
        ("a woman who says her mom is late", "mom"),  # what a person says, not a thing
        ("a girl holding a sign that says free hugs, her dad behind her", "dad"),  # the sign's clause ends
        ("'nobody: / my aunt at weddings:' meme, an aunt dancing wildly with a scarf", "aunt"),  # one drawn
        ("'me explaining to my mom' meme, a girl at a whiteboard and her mom looking confused", "mom"),
        ("a mug that says 'Best Abuela Ever' held by a smiling grandma", "grandma"),  # past its quotation
        ("a mug that says best abuela ever and is held by a smiling grandma", "grandma"),  # past four words
    ],
)
def test_persons_beside_such_things_stay_persons(prompt: str, word: str) -> None:
    assert_varied(prompt, word)


@pytest.mark.parametrize(
    ("prompt", "age"),
    [
        ('POV: you\'re 8 and your mom says "we have food at home", fisheye lens, kitchen', "8"),
        ("when you're 30 and your knees crack, meme", "30"),
        ("POV: you are 45 and fixing the wifi for your mom", "45"),
        ("a bookish girl of seventeen asleep on a pile of forbidden books", "seventeen"),
        ("a boy of six alone in a field", "six"),
        ("a man of 70 inside a cafe", "70"),
    ],
)
def test_an_age_said_of_the_one_a_meme_shows_or_after_of_varies(prompt: str, age: str) -> None:
    """The age had gone out in clear: "you" in a meme's point of view is the one shown, and an
    adjective or a preposition after "a girl of seventeen" ends the age as a participle did."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert_varied(prompt, age)


@pytest.mark.parametrize(
    "prompt",
    [
        "a birthday card that says you're 30 and fabulous",
        "you're 30 and fabulous, sticker",
        "a tower of 70 floors above the city",
        "a stack of 12 above the fridge",
        "pov: the dog is 12 and sleepy",
    ],
)
def test_numbers_of_messages_and_things_stay_as_written(prompt: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "scene from my fanfic: a veteran, 58, teaching himself to fish after his son moved away",
        "a veteran teaching himself to fish with his son",
        "a nurse sees herself in the mirror beside her daughter",
    ],
)
def test_a_reflexive_before_every_person_word_is_its_subjects(prompt: str) -> None:
    """The reflexive had been bound to the son named after it, so that candidates read "teaching
    herself to fish after his daughter moved away": one person, two genders. It is the subject's,
    as the possessive after it is, in every candidate; the child's gender varies apart."""
    cset = build_candidate_set(prompt, seed=0)
    assert cset.true_prompt == prompt
    assert len(cset) == 4, cset.candidates  # the subject's gender and the child's
    pairs = {"himself": "his", "herself": "her"}
    for candidate in cset.candidates:
        said = next(word for word in pairs if f" {word} " in candidate)
        assert f" {pairs[said]} " in candidate.split(said, 1)[1], candidate
    assert_closed(prompt, seed=0)


def test_a_word_after_a_kin_word_and_a_full_stop_is_no_name() -> None:
    """ "its mother. Caption: ..." had read "Mother Caption" as a titled name and sent "Emma:" and
    "James:" for the caption's label; a period after a word longer than an abbreviation ends the
    sentence."""
    prompt = 'a robot nanny hands the crying baby back to its mother. Caption: "She only stops for you." line art'
    cset = build_candidate_set(prompt, seed=0)
    assert all("Caption:" in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)
    kept = build_candidate_set("Mrs. Patel at the market", seed=0)  # an abbreviated title keeps its name
    assert all("Patel" in c for c in kept.candidates) and len(kept) > 1


@pytest.mark.parametrize(
    ("prompt", "phrase"),
    [
        ("the wizard, who is over 300 years old, raises his staff", "over 300 years old"),
        ("a 150 year old man feeding pigeons", "a 150 year old"),
    ],
)
def test_old_after_a_number_of_years_no_age_form_holds_stays_with_it(prompt: str, phrase: str) -> None:
    """ "old" had been read alone after a number no row of ages holds, and sent "who is over 300
    years young" and "300 years middle-aged"; the phrase is now the number's, as written, and the
    person's gender still varies."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert all(phrase in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)
