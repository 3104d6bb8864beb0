"""Fixed English word lists the detection heuristics read (function words, person nouns, copulas)
and the a/an rule; none of them is sensitive, none depends on a taxonomy.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS = _words(
    """
    a an the this that these those some any every each all both no none my your our their its
    to in on at by for from with without into onto over under up down out off of about around
    through near behind beside besides between against toward towards across along after before
    during like as than per via upon within inside outside above below beneath among
    and or but nor yet so while when where whereas because if then though although
    i me you we us they them it he she him her his hers himself herself itself themselves who whom
    whose which what
    is are was were be been being am has have had having will would can could shall should may might
    must do does did not
    back away again now here there too also very just still only even ever never always often
    gently softly tightly closely warmly tenderly happily quickly slowly proudly lovingly
    go stay smile laugh cry dance sing sit stand walk run look see feel know play sleep eat drink
    fly fall win rest wait think jump swim read write talk speak listen
    """
)
"""Words that are not nouns: "her" before one is an object pronoun ("hand her the cup"), before any
other word a possessive determiner ("her hat"). They also end a noun phrase when grouping persons."""

COPULAS = frozenset({"is", "are", "was", "were", "be", "been", "being", "am", "'s", "’s"})
"""A pronoun after one of these, with no noun following, is a possessive pronoun ("is hers")."""

PERSON_NOUNS = _words(
    """
    person persons people individual individuals human humans adult adults teenager teenagers
    child children kid kids baby babies toddler toddlers face faces portrait portraits character
    characters figure figures friend friends couple couples family families student students
    teacher teachers doctor doctors nurse nurses scientist scientists engineer engineers chef chefs
    cook cooks farmer farmers worker workers soldier soldiers officer officers firefighter
    firefighters pilot pilots athlete athletes player players artist artists painter painters
    musician musicians singer singers dancer dancers model models writer writers programmer
    programmers lawyer lawyers judge judges tourist tourists traveler travelers traveller travellers
    hiker hikers runner runners surfer surfers executive executives professional professionals
    entrepreneur entrepreneurs politician politicians monk monks priest priests warrior warriors
    knight knights astronaut astronauts vendor vendors shopkeeper shopkeepers customer customers
    patient patients resident residents villager villagers citizen citizens refugee refugees
    immigrant immigrants student athlete ceo ceos boss bosses employee employees colleague
    colleagues neighbor neighbors neighbour neighbours stranger strangers hero heroes
    """
)
"""Words that head a noun phrase about a person: an attribute word right before one is an adjective."""

SENTENCE_END = frozenset(".!?")

_AN_PREFIXES = ("hour", "honest", "honor", "honour", "heir")
_A_PREFIXES = ("eu", "ewe", "uni", "use", "usu", "uti", "ure", "uro", "one", "once", "ubiq")


def indefinite_article(word: str) -> str:
    """ "a" or "an" for `word`, by sound: "an old", "a European", "a one-", "an hour", "a young"."""
    w = word.lower()
    if w.startswith(_AN_PREFIXES):
        return "an"
    if w.startswith(_A_PREFIXES):
        return "a"
    return "an" if w[:1] in ("a", "e", "i", "o", "u") else "a"
