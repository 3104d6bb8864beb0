"""The evaluator's own reading of a prompt: person words with their gender and age, demonyms,
the context attacker's association table, and a Unicode normaliser built on maintained data.

Independence: nothing here comes from `obclip.privacy`'s data files or modules. The word lists
and the association table below were written for the evaluator from general knowledge of English
and of how people describe persons in image prompts; the confusable letters come from the
`confusable-homoglyphs` package (Unicode's confusables.txt) and the compatibility forms from
Python's `unicodedata`. A judge that shared the rules' tables would only find what the rules
already know; this one may disagree with them, which is the point.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

GENDERS = ("female", "male")
AGES = ("baby", "child", "teen", "young", "adult", "old")
"""Age buckets: baby (< 3), child (3..12), teen (13..19), young (20..35), adult (36..59), old (60+)."""
ETHNICITIES = (
    "black",
    "white",
    "east_asian",
    "south_asian",
    "southeast_asian",
    "middle_eastern",
    "hispanic",
    "indigenous",
)


# --- normalisation --------------------------------------------------------------------------


@functools.cache
def _latin_of() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter it is confusable with (confusable-homoglyphs data)."""
    mapping: dict[str, str] = {}
    for letter, homoglyphs in _confusables().items():
        if len(letter) == 1 and letter.isascii() and letter.isalpha():
            for glyph in homoglyphs:
                char = glyph["c"].strip("\u200e")
                if len(char) == 1 and not char.isascii():
                    mapping.setdefault(char, letter.lower())
    return mapping


@functools.cache
def _confusables() -> dict[str, list[dict[str, str]]]:
    try:
        import json
        from importlib import resources

        data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    except (ImportError, ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - eval extra
        from obclip.errors import InvalidInputError

        raise InvalidInputError(
            "obclip eval privacy needs the eval extra (confusable-homoglyphs): pip install 'obclip[eval]'"
        ) from exc
    return json.loads(data)


def homoglyphs(letter: str, scripts: Iterable[str] = ("CYRILLIC", "GREEK")) -> list[str]:
    """Letters of `scripts` that Unicode lists as confusable with ASCII `letter` (letters that stay
    themselves under NFKC: a look-alike, not a compatibility form)."""
    found = []
    for glyph in _confusables().get(letter, []):
        char = glyph["c"]
        if (
            len(char) == 1
            and char.isalpha()
            and unicodedata.normalize("NFKC", char) == char
            and any(glyph["n"].startswith(s) for s in scripts)
        ):
            found.append(char)
    return found


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cf", "Mn", "Me") or char in "\u034f\u115f\u1160\u3164\uffa0"


def read_as_seen(text: str) -> str:
    """`text` as a person reads it: compatibility forms folded (NFKC), invisible and bidi controls
    and combining marks dropped, look-alike letters read as the Latin letter, underscores as spaces,
    lower case. The cloud is a reader too, so a word in clear is looked for in this form."""
    text = unicodedata.normalize("NFKD", text)
    latin = _latin_of()
    out = []
    for char in text:
        if _invisible(char):
            continue
        out.append(latin.get(char, char))
    return unicodedata.normalize("NFKC", "".join(out)).replace("_", " ").casefold()


WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """The words of `text` as read (see `read_as_seen`), possessive 's dropped."""
    result = []
    for word in WORD.findall(read_as_seen(text)):
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        result.append(word)
    return result


# --- persons --------------------------------------------------------------------------------


def _table(text: str) -> dict[str, str]:
    """'value: word word ...' lines -> {word: value}."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        value, _, words = line.partition(":")
        for word in words.split():
            table[word.replace("_", " ")] = value.strip()
    return table


GENDER_NOUNS = _table(
    """
    female: woman women girl girls lady ladies female females mother mothers mom moms mum mommy mama mamma
    female: daughter daughters sister sisters aunt aunts auntie niece nieces grandmother grandma granny nana nan
    female: grandmothers grandmas grannies nonna babushka abuela oma wife wives bride brides bridesmaid bridesmaids
    female: girlfriend girlfriends gf queen queens princess princesses empress duchess countess baroness
    female: actress actresses waitress waitresses stewardess hostess heroine goddess goddesses nun nuns priestess
    female: witch witches sorceress enchantress maid maids maiden maidens damsel lass lasses gal gals madam
    female: madame senora señora signora mademoiselle widow widows matriarch fiancee fiancée ballerina ballerinas
    female: geisha housewife businesswoman businesswomen policewoman chairwoman sportswoman horsewoman seamstress
    female: landlady heiress schoolgirl schoolgirls cowgirl cowgirls showgirl mermaid mermaids stepmother
    female: granddaughter granddaughters mistress nanny milkmaid sorority grandmom mum-to-be mom-to-be
    female: 1girl 2girls 3girls 4girls 5girls 6+girls multiple_girls girl's women's woman's mujer mujeres
    female: chica niña nina femme fille frau mädchen madchen donna ragazza mulher menina 女性 女の子 少女 女人
    male: man men boy boys gentleman gentlemen guy guys male males father fathers dad dads daddy papa pa son sons
    male: brother brothers uncle uncles nephew nephews grandfather grandpa grandpas gramps grandad granddad
    male: grandfathers husband husbands groom grooms bridegroom groomsman groomsmen boyfriend boyfriends bf king
    male: kings prince princes emperor duke baron waiter waiters steward god gods monk monks priest priests wizard
    male: wizards sorcerer lad lads bloke blokes dude dudes sir lord lords widower patriarch fiance fiancé
    male: businessman businessmen policeman policemen fireman firemen chairman sportsman horseman handyman
    male: doorman salaryman salarymen fisherman fishermen landlord heir schoolboy schoolboys cowboy cowboys merman
    male: stepfather grandson grandsons bro bros monsieur senor señor signore herr nonno abuelo opa
    male: 1boy 2boys 3boys 4boys 5boys 6+boys multiple_boys hombre hombres chico niño nino homme garçon garcon
    male: mann junge uomo ragazzo homem menino 男性 男の子 少年 男人 craftsman craftsmen gentleman's
    """
)
PRONOUNS = _table(
    """
    female: she her hers herself
    male: he him his himself
    """
)
TITLES = _table(
    """
    female: ms mrs miss lady madam madame mme mlle señora senora sra frau dame aunt auntie grandma granny nana
    male: mr sir lord monsieur m señor senor sr herr uncle grandpa
    """
)

AGE_NOUNS = _table(
    """
    baby: baby babies infant infants newborn newborns toddler toddlers bebe bebé
    child: child children kid kids boy boys girl girls schoolboy schoolboys schoolgirl schoolgirls preteen pre-teen
    child: tween tweens kiddo niña nina niño nino 1girl 1boy 2girls 2boys 3girls 3boys loli shota
    teen: teen teens teenager teenagers adolescent adolescents teenaged teenage youth
    young: twentysomething twenty-something
    old: elder elders senior seniors pensioner pensioners retiree retirees centenarian octogenarian nonagenarian
    old: septuagenarian oldster old-timer grandfather grandmother grandpa grandma granny gramps grandparents
    old: grandparent babushka nonna nonno abuela abuelo crone geezer
    """
)
"""Nouns that carry an age. Grandparents count as old (an attacker's reading, not a rule)."""

AGE_ADJECTIVES = _table(
    """
    baby: newborn infant
    child: little small young-looking
    teen: teenage teenaged adolescent
    young: young youthful younger twentysomething twenty-something
    adult: middle-aged middle-age mature adult grown-up grown forty-something thirty-something fortysomething
    adult: thirtysomething fiftysomething fifty-something
    old: old elderly aged senior older ancient wrinkled geriatric aging ageing grey-haired gray-haired
    old: white-haired silver-haired
    """
)
CHILD_NOUNS = frozenset(
    [
        "baby",
        "babies",
        "infant",
        "newborn",
        "toddler",
        "child",
        "children",
        "kid",
        "kids",
        "boy",
        "boys",
        "girl",
        "girls",
        "schoolboy",
        "schoolgirl",
        "preteen",
        "pre-teen",
        "tween",
    ]
)
ADULT_NOUNS = frozenset(
    [
        "man",
        "men",
        "woman",
        "women",
        "gentleman",
        "gentlemen",
        "lady",
        "ladies",
        "husband",
        "wife",
        "grandfather",
        "grandmother",
        "grandpa",
        "grandma",
        "granny",
        "widow",
        "widower",
        "businessman",
        "businesswoman",
        "bride",
        "groom",
        "mother",
        "father",
    ]
)

ETHNIC_WORDS = _table(
    """
    black: black african african-american afro-american nigerian kenyan ethiopian ghanaian somali senegalese
    black: sudanese congolese jamaican haitian zulu maasai masai yoruba igbo eritrean ugandan tanzanian
    black: dark-skinned dark_skinned ebony
    white: white caucasian european irish scottish english british welsh french german italian russian polish
    white: swedish norwegian danish finnish dutch scandinavian nordic ukrainian czech greek austrian swiss
    white: icelandic slavic fair-skinned pale-skinned anglo
    east_asian: asian east-asian chinese japanese korean taiwanese mongolian tibetan
    south_asian: indian pakistani bangladeshi nepali nepalese tamil punjabi bengali desi sikh gujarati
    south_asian: sinhalese brown-skinned
    southeast_asian: filipino filipina vietnamese thai indonesian malaysian cambodian burmese laotian
    southeast_asian: singaporean
    middle_eastern: arab arabic persian iranian turkish lebanese egyptian saudi syrian iraqi moroccan
    middle_eastern: palestinian jordanian emirati yemeni kurdish israeli afghan
    hispanic: hispanic latino latina latinx latine mexican brazilian colombian cuban peruvian chicano chicana
    hispanic: puerto argentinian argentine venezuelan chilean dominican salvadoran guatemalan ecuadorian
    indigenous: indigenous aboriginal maori inuit navajo cherokee lakota apache native
    """
)
ETHNIC_PHRASES = {
    "east asian": "east_asian",
    "south asian": "south_asian",
    "southeast asian": "southeast_asian",
    "middle eastern": "middle_eastern",
    "native american": "indigenous",
    "first nations": "indigenous",
    "dark skin": "black",
    "dark skinned": "black",
    "dark skinned female": "black",
    "dark skinned male": "black",
    "african american": "black",
    "brown skin": "south_asian",
    "fair skin": "white",
    "pale skin": "white",
    "puerto rican": "hispanic",
}

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_NUMBER_WORDS |= {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_NUMBER_WORDS |= {"ninety": 90, "hundred": 100, "a couple of": 2, "couple": 2, "pair": 2, "twin": 2, "twins": 2}
_AGE_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3})\s*(?:-|\s)?\s*(?:years?|yrs?|y)\s*(?:-|\s)?\s*(?:/\s*)?old\b"
    r"|(?<![\w.])(\d{1,3})\s*(?:yo|y/o|y\.o\.)(?!\w)"
    r"|\baged?\s+(?:about\s+|around\s+)?(\d{1,3})\b"
    r"|(?<![\w.])(?<!the )(?<!the ')(\d{1,2})0\s*'?s\b"  # "the 80s" is an era
    r"|(?<![\w.])(\d{1,2})\s*(?:-|\s)?\s*months?\s*(?:-|\s)?\s*old\b"
)


def age_bucket(years: int) -> str:
    """The age bucket of an age in years."""
    if years < 3:
        return "baby"
    if years < 13:
        return "child"
    if years < 20:
        return "teen"
    if years < 36:
        return "young"
    if years < 60:
        return "adult"
    return "old"


def ages_in(text: str) -> list[tuple[int, str]]:
    """(position, bucket) of every age a prompt states with a number ("75-year-old", "50 y/o", "in her 40s",
    "6-month-old")."""
    read = read_as_seen(text)
    found = []
    for m in _AGE_NUMBER.finditer(read):
        if m.group(4) is not None:
            years = int(m.group(4)) * 10 + 5
        elif m.group(5) is not None:
            years = int(m.group(5)) // 12  # "6-month-old", "18 month old"
        else:
            years = int(next(g for g in m.groups()[:3] if g is not None))
        found.append((m.start(), age_bucket(years)))
    return found


def numbers_in(text: str) -> list[int]:
    """Every number a prompt states (digits, number words up to twenty, booru counts like 3girls)."""
    read = read_as_seen(text)
    found = [int(d) for d in re.findall(r"(?<![\w.])(\d+)(?=\w*)", read)]
    found += [_NUMBER_WORDS[w] for w in WORD.findall(read) if w in _NUMBER_WORDS]
    return sorted(found)


@dataclass(frozen=True)
class Mention:
    """A word of a prompt that says something about a person: index in `words_of`, category, value."""

    index: int
    word: str
    category: str
    value: str
    kind: str  # noun, pronoun, title, adjective, number, ethnic


def mentions(text: str) -> list[Mention]:
    """Every gender, age and ethnicity statement the evaluator's own lists find in `text`."""
    words = words_of(text)
    found: list[Mention] = []
    for i, word in enumerate(words):
        bare = word.replace("_", " ")
        if bare in GENDER_NOUNS:
            found.append(Mention(i, word, "gender", GENDER_NOUNS[bare], "noun"))
        elif bare in PRONOUNS:
            found.append(Mention(i, word, "gender", PRONOUNS[bare], "pronoun"))
        elif bare in TITLES and i + 1 < len(words) and words[i + 1][:1].isalpha():
            found.append(Mention(i, word, "gender", TITLES[bare], "title"))
        if bare in AGE_NOUNS:
            found.append(Mention(i, word, "age", AGE_NOUNS[bare], "noun"))
        elif bare in AGE_ADJECTIVES:
            found.append(Mention(i, word, "age", AGE_ADJECTIVES[bare], "adjective"))
        if bare in ETHNIC_WORDS:
            found.append(Mention(i, word, "ethnicity", ETHNIC_WORDS[bare], "ethnic"))
        if i + 1 < len(words):
            pair = f"{word} {words[i + 1]}"
            if pair in ETHNIC_PHRASES:
                found.append(Mention(i, pair, "ethnicity", ETHNIC_PHRASES[pair], "ethnic"))
    starts = [m.start() for m in WORD.finditer(read_as_seen(text))]
    for position, bucket in ages_in(text):
        found.append(Mention(bisect.bisect_right(starts, position) - 1, str(bucket), "age", bucket, "number"))
    return found


# --- the context attacker's association table -----------------------------------------------

_CUES = """
# phrase | category | values (space-separated) | strength
pregnant | gender | female | 1.0
pregnancy | gender | female | 1.0
baby bump | gender | female | 1.0
breastfeeding | gender | female | 1.0
maternity | gender | female | 0.9
wedding dress | gender | female | 0.9
bridal gown | gender | female | 0.9
bridal veil | gender | female | 0.9
veil | gender | female | 0.6
ball gown | gender | female | 0.9
evening gown | gender | female | 0.9
gown | gender | female | 0.8
dress | gender | female | 0.8
sundress | gender | female | 0.9
skirt | gender | female | 0.8
miniskirt | gender | female | 0.9
bikini | gender | female | 0.9
lingerie | gender | female | 0.9
bra | gender | female | 0.9
corset | gender | female | 0.8
high heels | gender | female | 0.8
stilettos | gender | female | 0.9
lipstick | gender | female | 0.7
red lips | gender | female | 0.6
makeup | gender | female | 0.5
mascara | gender | female | 0.7
eyeshadow | gender | female | 0.7
earrings | gender | female | 0.5
tiara | gender | female | 0.8
pigtails | gender | female | 0.8
twintails | gender | female | 0.9
ponytail | gender | female | 0.4
braids | gender | female | 0.4
long hair | gender | female | 0.4
tutu | gender | female | 0.8
blouse | gender | female | 0.7
pantyhose | gender | female | 0.9
stockings | gender | female | 0.7
cleavage | gender | female | 1.0
handbag | gender | female | 0.6
purse | gender | female | 0.6
nail polish | gender | female | 0.6
pearl necklace | gender | female | 0.6
hair bow | gender | female | 0.7
flower crown | gender | female | 0.5
hijab | gender | female | 1.0
niqab | gender | female | 1.0
burqa | gender | female | 1.0
abaya | gender | female | 0.9
sari | gender | female | 0.9
saree | gender | female | 0.9
lehenga | gender | female | 0.9
bindi | gender | female | 0.8
cheongsam | gender | female | 0.9
qipao | gender | female | 0.9
dirndl | gender | female | 0.9
beard | gender | male | 1.0
bearded | gender | male | 1.0
moustache | gender | male | 1.0
mustache | gender | male | 1.0
goatee | gender | male | 1.0
stubble | gender | male | 0.9
sideburns | gender | male | 0.6
five o'clock shadow | gender | male | 0.9
receding hairline | gender | male | 0.7
bald | gender | male | 0.5
balding | gender | male | 0.6
tuxedo | gender | male | 0.8
bow tie | gender | male | 0.7
necktie | gender | male | 0.6
suit and tie | gender | male | 0.7
chest hair | gender | male | 0.9
adam's apple | gender | male | 0.8
kippah | gender | male | 0.9
yarmulke | gender | male | 0.9
thobe | gender | male | 0.9
turban | gender | male | 0.6
kilt | gender | male | 0.6
lederhosen | gender | male | 0.8
grey hair | age | adult old | 0.8
gray hair | age | adult old | 0.8
silver hair | age | adult old | 0.8
white hair | age | old | 0.7
grey beard | age | adult old | 0.9
gray beard | age | adult old | 0.9
white beard | age | old | 0.9
wrinkles | age | adult old | 0.9
wrinkled | age | adult old | 0.9
wrinkly | age | old | 0.9
walking cane | age | old | 0.9
walking stick | age | old | 0.7
cane | age | old | 0.8
walker | age | old | 0.4
zimmer frame | age | old | 0.9
liver spots | age | old | 1.0
dentures | age | old | 1.0
hearing aid | age | old | 0.8
retired | age | old | 0.9
retirement | age | old | 0.9
pension | age | old | 0.8
nursing home | age | old | 0.9
rocking chair | age | old | 0.5
grandchildren | age | old | 0.9
grandkids | age | old | 0.9
grandson | age | old | 0.9
granddaughter | age | old | 0.9
great-grandchildren | age | old | 1.0
war veteran | age | old | 0.6
pacifier | age | baby | 1.0
diaper | age | baby child | 0.8
stroller | age | baby child | 0.9
pram | age | baby child | 0.9
crib | age | baby | 0.9
rattle | age | baby | 0.8
onesie | age | baby child | 0.8
sippy cup | age | baby child | 1.0
first steps | age | baby | 1.0
kindergarten | age | child | 1.0
elementary school | age | child | 0.9
primary school | age | child | 0.9
school uniform | age | child teen | 0.8
school bag | age | child teen | 0.6
playground | age | child | 0.7
teddy bear | age | baby child | 0.6
crayons | age | child | 0.8
tricycle | age | child | 0.9
lollipop | age | child | 0.4
missing tooth | age | child | 0.9
baby teeth | age | child | 1.0
bedtime story | age | child | 0.6
piggyback | age | child | 0.5
prom | age | teen | 0.9
high school | age | teen | 0.8
braces | age | teen child | 0.6
acne | age | teen | 0.7
college student | age | young | 0.7
dorm room | age | young | 0.7
graduation | age | young | 0.6
kimono | ethnicity | east_asian | 0.9
yukata | ethnicity | east_asian | 0.9
hanbok | ethnicity | east_asian | 1.0
hanfu | ethnicity | east_asian | 1.0
cheongsam | ethnicity | east_asian | 0.9
qipao | ethnicity | east_asian | 0.9
geisha | ethnicity | east_asian | 0.9
samurai | ethnicity | east_asian | 0.8
monolid | ethnicity | east_asian | 0.9
sari | ethnicity | south_asian | 0.9
saree | ethnicity | south_asian | 0.9
salwar kameez | ethnicity | south_asian | 1.0
lehenga | ethnicity | south_asian | 1.0
kurta | ethnicity | south_asian | 0.8
bindi | ethnicity | south_asian | 0.9
mehndi | ethnicity | south_asian | 0.8
henna | ethnicity | south_asian middle_eastern | 0.6
dastar | ethnicity | south_asian | 1.0
ao dai | ethnicity | southeast_asian | 1.0
batik | ethnicity | southeast_asian | 0.6
dashiki | ethnicity | black | 0.9
kente | ethnicity | black | 0.9
gele | ethnicity | black | 0.9
headwrap | ethnicity | black | 0.5
afro | ethnicity | black | 0.8
cornrows | ethnicity | black | 0.8
box braids | ethnicity | black | 0.8
dreadlocks | ethnicity | black | 0.6
locs | ethnicity | black | 0.6
keffiyeh | ethnicity | middle_eastern | 0.8
thobe | ethnicity | middle_eastern | 0.9
abaya | ethnicity | middle_eastern | 0.7
niqab | ethnicity | middle_eastern | 0.6
sombrero | ethnicity | hispanic | 0.6
quinceanera | ethnicity | hispanic | 1.0
quinceañera | ethnicity | hispanic | 1.0
mariachi | ethnicity | hispanic | 0.8
poncho | ethnicity | hispanic indigenous | 0.4
lederhosen | ethnicity | white | 0.9
dirndl | ethnicity | white | 0.9
kilt | ethnicity | white | 0.8
freckles | ethnicity | white | 0.6
red hair | ethnicity | white | 0.7
ginger hair | ethnicity | white | 0.8
blonde hair | ethnicity | white | 0.7
blond hair | ethnicity | white | 0.7
blue eyes | ethnicity | white | 0.6
war bonnet | ethnicity | indigenous | 1.0
feather headdress | ethnicity | indigenous | 0.8
tokyo | ethnicity | east_asian | 0.4
seoul | ethnicity | east_asian | 0.4
beijing | ethnicity | east_asian | 0.4
mumbai | ethnicity | south_asian | 0.4
delhi | ethnicity | south_asian | 0.4
lagos | ethnicity | black | 0.4
nairobi | ethnicity | black | 0.4
"""

STRONG = 0.8
"""A cue at least this strong is one the notice must name."""


@dataclass(frozen=True)
class Cue:
    """A phrase in clear that implies an attribute value: category, the values it fits, strength."""

    phrase: str
    category: str
    values: frozenset[str]
    strength: float


def _parse_cues(text: str) -> tuple[Cue, ...]:
    cues = []
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue
        phrase, category, values, strength = (part.strip() for part in line.split("|"))
        cues.append(Cue(phrase, category, frozenset(values.split()), float(strength)))
    return tuple(cues)


CUES = _parse_cues(_CUES)


@functools.cache
def _cue_pattern() -> re.Pattern[str]:
    phrases = sorted({c.phrase for c in CUES}, key=len, reverse=True)
    alternatives = "|".join(r"[\s-]+".join(re.escape(p) for p in phrase.split()) for phrase in phrases)
    return re.compile(rf"(?<![^\W_])({alternatives})(?:e?s)?(?![^\W_])")


def cues_in(clear: str) -> list[Cue]:
    """Cues found in a text already read (`read_as_seen`); overlapping phrases keep the longest."""
    by_phrase: dict[str, list[Cue]] = {}
    for cue in CUES:
        by_phrase.setdefault(cue.phrase, []).append(cue)
    found: list[Cue] = []
    for match in _cue_pattern().finditer(clear):
        phrase = " ".join(re.split(r"[\s-]+", match.group(1)))
        found.extend(by_phrase.get(phrase, by_phrase.get(match.group(1), [])))
    return found
