"""Fixed English word lists the detection heuristics read (function words, person nouns, copulas)
and the a/an rule; none of them is sensitive, none depends on a taxonomy.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from importlib import resources
from typing import Any


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def unaccented(word: str) -> str:
    """`word` with the accents of its letters dropped, one character for one (offsets stay valid)."""
    if word.isascii():
        return word
    result = []
    for char in word:
        parts = unicodedata.normalize("NFD", char)
        result.append(parts[0] if len(parts) > 1 and all(unicodedata.combining(p) for p in parts[1:]) else char)
    return "".join(result)


FUNCTION_WORDS = _words(
    """
    a an the this that these those some any every each all both no none my your our their its
    to in on at by for from with without into onto over under up down out off of about around
    through near behind beside besides between against toward towards across along after before
    during like as than per via upon within inside outside above below beneath among amid amidst mid
    atop underneath beyond throughout until since despite unlike
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
    rockstar rockstars popstar popstars youtuber youtubers vtuber vtubers tiktoker tiktokers tradie tradies
    instagrammer instagrammers schoolkid schoolkids migrant migrants legionnaire legionnaires
    wizard wizards mermaid mermaids angel angels goddess goddesses daimyo maiko maikos
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
    immigrant immigrants student athlete ceo ceos focus boss bosses employee employees colleague
    colleagues coworker coworkers bestie besties neighbor neighbors neighbour neighbours stranger strangers hero heroes
    attendant attendants realtor realtors stevedore stevedores dockworker dockworkers principal principals
    keeper keepers fisher fishers sailor sailors merchant merchants gardener gardeners baker bakers
    hoplite hoplites druid druids janissary janissaries highlander highlanders redcoat redcoats
    ronin shinobi grenadier grenadiers powerlifter powerlifters bagpiper bagpipers luchador luchadores
    orisha orishas cataphract cataphracts client clients supporter supporters saint saints
    barista baristas bartender bartenders clerk clerks cashier cashiers mechanic mechanics carpenter
    carpenters plumber plumbers blacksmith blacksmiths tailor tailors weaver weavers potter potters
    sculptor sculptors photographer photographers journalist journalists reporter reporters poet poets
    novelist novelists author authors director directors manager managers surgeon surgeons dentist
    dentists veterinarian veterinarians pharmacist pharmacists professor professors scholar scholars
    researcher researchers librarian librarians detective detectives spy spies thief thieves pirate
    pirates viking vikings samurai ninja ninjas geisha geishas shaman shamans herder herders shepherd
    shepherds nomad nomads hunter hunters explorer explorers climber climbers skier skiers swimmer
    swimmers cyclist cyclists skater skaters boxer boxers wrestler wrestlers fighter fighters rider
    riders driver drivers passenger passengers commuter commuters shopper shoppers beggar beggars
    guard guards ranger rangers paramedic paramedics medic medics healer healers midwife midwives
    nanny nannies maid maids butler butlers servant servants slave slaves peasant peasants noble
    nobles elf elves dwarf dwarves orc orcs vampire vampires zombie zombies cyborg cyborgs android
    androids robot mannequin mannequins sage sages guru gurus yogi yogis imam imams rabbi rabbis
    pastor pastors preacher preachers missionary missionaries pilgrim pilgrims worshipper worshippers
    believer believers mourner mourners protester protesters activist activists volunteer volunteers
    fan fans crowd crowds audience spectators spectator tenant tenants owner owners fisherfolk
    villager herdsman cook chef vendor seller sellers buyer buyers trader traders miner miners
    lumberjack lumberjacks cowhand rancher ranchers cowherd dancer singer rapper rappers drummer
    drummers guitarist guitarists pianist pianists violinist violinists dj djs influencer influencers
    blogger bloggers vlogger vloggers streamer streamers gamer gamers nerd nerds hipster hipsters
    punk punks goth goths biker bikers surfer skateboarder skateboarders graduate graduates
    pupil pupils schoolchild schoolchildren twin twins triplets sibling siblings parent parents
    grandparent grandparents grandchild grandchildren spouse spouses partner partners fiance
    newlyweds newlywed lover lovers companion companions roommate roommates classmate classmates
    teammate teammates coach coaches referee referees umpire umpires mayor mayors president
    presidents senator senators minister ministers diplomat diplomats ambassador ambassadors
    soldier general generals captain captains sergeant sergeants lieutenant admiral commander
    commanders sheriff sheriffs marshal deputy agent agents inmate inmates prisoner prisoners
    captive captives survivor survivors victim victims witness witnesses suspect suspects
    model supermodel supermodels icon celebrity celebrities star stars superstar superstars
    portrait selfie headshot silhouette silhouettes body bodies self everyone someone somebody
    anyone anybody nobody people folk folks population tribe tribes group groups team teams
    man men woman women boy boys girl girls lady ladies gentleman gentlemen guy guys gal gals
    mother mothers father fathers mom dad son sons daughter daughters sister sisters brother
    brothers wife wives husband husbands king kings queen queens prince princes princess
    princesses bride brides groom grooms grandmother grandfather grandma grandpa aunt uncle
    niece nephew girlfriend boyfriend actor actors actress actresses waiter waitress monk monks
    nun nuns senior seniors teen teens teenager elder elders picker pickers ballerina ballerinas
    star stars barber barbers sherpa sherpas porter porters hairdresser hairdressers stylist stylists
    florist florists butcher butchers grocer grocers jeweler jewelers jeweller jewellers cobbler
    cobblers shoemaker shoemakers glassblower glassblowers winemaker winemakers brewer brewers
    beekeeper beekeepers shopowner storekeeper storekeepers innkeeper innkeepers zookeeper zookeepers
    goalkeeper goalkeepers housekeeper housekeepers caretaker caretakers janitor janitors
    courier couriers deliveryman chauffeur chauffeurs cabbie trucker truckers builder
    builders electrician electricians welder welders architect architects designer designers
    accountant accountants banker bankers broker brokers economist economists analyst analysts
    consultant consultants intern interns secretary secretaries receptionist receptionists therapist
    therapists psychologist psychologists psychiatrist physician physicians optometrist optician
    cardiologist radiologist midwife caregiver caregivers babysitter babysitters tutor tutors
    lecturer lecturers historian historians archaeologist archaeologists biologist
    biologists chemist chemists physicist physicists astronomer astronomers geologist botanist
    mathematician mathematicians inventor inventors philosopher philosophers monarch monarchs
    ruler rulers chief chiefs chieftain warlord emperor pharaoh pharaohs shogun sultan tsar
    gladiator gladiators archer archers swordsman assassin assassins mercenary mercenaries bandit
    bandits outlaw outlaws sheriff gunslinger ranger cowhand jockey jockeys matador matadors
    acrobat acrobats clown clowns juggler jugglers magician magicians illusionist puppeteer
    comedian comedians host presenter presenters newscaster photographer filmmaker
    filmmakers cinematographer animator animators illustrator illustrators cartoonist calligrapher
    sculptress potter weaver knitter knitters seamstress embroiderer quilter quilters gymnast
    gymnasts swimmer sprinter sprinters marathoner golfer golfers footballer footballers
    cricketer cricketers batsman quarterback linebacker skier snowboarder
    snowboarders mountaineer mountaineers diver divers sailor kayaker kayakers fisher angler
    anglers hunter trapper trappers forager foragers gatherer herdsman herder shepherdess milkmaid
    lifeguard lifeguards member members mariachi geisha salaryman salarymen sherpa griot shaman
    idol idols sheikh sheikhs emir rapper rappers vlogger vloggers influencer influencers streamer
    gamer gamers cosplayer cosplayers barista baristas samurai ninja ninjas viking vikings pirate
    pirates knight knights guide guides master masters sensei mentor mentors
    leader leaders guest guests killer killers governor governors collector collectors offspring
    superhero superheroes supervillain supervillains protestor protestors autoworker autoworkers
    bard bards warlock warlocks mutant mutants tech techs
    """
)
"""Words that head a noun phrase about a person: an attribute word right before one is an adjective."""

_NOT_PERSONS = _words(
    """
    list lists mist mists twist twists fist fists wrist wrists gist heist midst exist assist insist
    persist resist consist whist median medians snowman snowmen superman batman walkman pacman
    ottoman ottomans german germans roman romans human humans woman women man men
    career careers veneer veneers reindeer cheer cheers steer steers sheer coffeemaker coffeemakers
    """
)
_PERSON_SUFFIXES = (
    "ist",
    "ists",
    "ian",
    "ians",
    "man",
    "men",
    "smith",
    "smiths",
    "maker",
    "makers",
    "wright",
    "wrights",
    "monger",
    "mongers",
    "keeper",
    "keepers",
    "herd",
    "herds",
    "eer",
    "eers",
)


def is_person_noun(word: str) -> bool:
    """Whether a (folded) word names a person: the list above, WordNet's person nouns
    (`wordnet_persons`), or a word ending in a suffix of persons (-ist, -ian, -man, -smith, -maker,
    -wright, -monger, -keeper, -herd, -eer: "cellist", "custodian", "salaryman", "silversmith",
    "shepherd", "auctioneer") that is no known non-person (`_suffix_names_a_person`). An accent
    put on an English word hides nothing ("fathèr", "wömen"): where the word as written is none,
    it is read without accents too."""
    if word in PERSON_NOUNS or word in wordnet_persons():
        return True
    if word.endswith(_PERSON_SUFFIXES) and _suffix_names_a_person(word):
        return True
    if not word.isascii() and (plain := unaccented(word)) != word and plain.isascii():
        return is_person_noun(plain)
    return False


def _suffix_names_a_person(word: str) -> bool:
    """Whether a word that WordNet does not know as a person, ending in a suffix of persons, is one.
    Not where its singular is four letters or fewer ("beers", "herds") or a known non-person
    ("exists", "heists"); not where WordNet knows it, or its singular, as an animal, plant, artifact,
    food, substance or body part ("talisman", "caiman", "waist", "bitumen"); not a -man or -men word
    whose stem is no English word or WordNet thing ("ramen", "specimen", "doberman", "superhuman": a
    "salaryman" has a salary, a "longbowman" a long bow; -woman and -women always name a person);
    not a list named by an English word before it ("playlist", "setlists", "checklist";
    "minimalist" and "vocalist" are -al plus -ist)."""
    singular = word[:-1] if word.endswith("s") else word
    if len(singular) <= 4 or word in _NOT_PERSONS or singular in _NOT_PERSONS:
        return False
    if word in _wordnet_things() or singular in _wordnet_things():
        return False
    if singular.endswith(("man", "men")) and not singular.endswith(("woman", "women")):
        stem = singular[:-3].rstrip("-")
        return _is_english_stem(stem)
    if singular.endswith("list"):
        stem = singular[:-4]
        return not (len(stem) >= 3 and stem in english_words() and not stem.endswith("a"))
    return True


def _is_english_stem(stem: str) -> bool:
    """Whether `stem` is an English word or WordNet thing of three letters or more, or two of them
    ("longbow" in "longbowmen")."""
    known = _stem_words()
    if len(stem) >= 3 and stem in known:
        return True
    return any(stem[:cut] in known and stem[cut:] in known for cut in range(3, len(stem) - 2))


@functools.cache
def _stem_words() -> frozenset[str]:
    """What a stem of a -man or -men word may be: `english_words` and `_wordnet_things`, joined once."""
    return english_words() | _wordnet_things()


@functools.cache
def _wordnet_things() -> frozenset[str]:
    """The nouns WordNet knows as a thing, animal, plant, food or body part and never as a person
    or group (`data/binding_wordnet.json`: ``object_heads``, ``owned_heads``, ``body_heads``, less
    ``person_or_group_heads``)."""
    data = data_file("binding_wordnet.json")
    things = {*data["object_heads"], *data["owned_heads"], *data["body_heads"]}
    return frozenset(things - set(data["person_or_group_heads"]))


@functools.cache
def english_words() -> frozenset[str]:
    """The most frequent English words (lower case), from `wordfreq` (see data/english_words.json)."""
    return frozenset(data_file("english_words.json")["words"])


@functools.cache
def data_file(name: str) -> dict[str, Any]:
    """The decoded `data/<name>` of obclip.privacy, read once."""
    text = resources.files("obclip.privacy").joinpath(f"data/{name}").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def known_persons() -> dict[str, str]:
    """Full names of persons a reader knows, folded, with the gender value of the first name they
    hold ("julius caesar": "male"): `data/known_persons.json` (tools/build_known_persons.py)."""
    names: dict[str, str] = data_file("known_persons.json")["names"]
    return names


@functools.cache
def known_person_rests() -> dict[str, frozenset[str]]:
    """The words after the first name of each known person's name, with the first names before
    them ("caesar": {"julius"}, "of arc": {"joan"})."""
    rests: dict[str, set[str]] = {}
    for name in known_persons():
        first, _, rest = name.partition(" ")
        rests.setdefault(rest, set()).add(first)
    return {rest: frozenset(firsts) for rest, firsts in rests.items()}


def person_nouns_data() -> dict[str, Any]:
    """The decoded `data/person_nouns.json`, read once (tools/build_privacy_data.py --wordnet)."""
    return data_file("person_nouns.json")


@functools.cache
def wordnet_named() -> frozenset[str]:
    """The generated first names that WordNet knows as a named place or person ("paris",
    "lincoln", "tesla"; folded): `data/person_nouns.json`, ``named``."""
    return frozenset(n.lower() for n in person_nouns_data().get("named", ()))


@functools.cache
def wordnet_persons() -> frozenset[str]:
    """Every person noun in use that WordNet knows, with its plural ("sommelier", "bricklayers",
    "hermit"): `data/person_nouns.json`, ``persons`` (tools/build_privacy_data.py --wordnet)."""
    return frozenset(person_nouns_data().get("persons", ()))


@functools.cache
def _person_heads() -> frozenset[str]:
    return frozenset(person_nouns_data().get("person_heads", ()))


def is_person_head(word: str) -> bool:
    """Whether a (folded) word that ends a noun phrase names a person: `is_person_noun`, or a WordNet
    person noun that is an adjective too ("a 90-year-old WWII veteran", "an elderly native"), which
    names a person only where nothing follows it (`data/person_nouns.json`, ``person_heads``)."""
    return is_person_noun(word) or word in _person_heads()


SENTENCE_END = frozenset(".!?")


def written_in_title_case(word: str) -> bool:
    """Whether a word is written with a capital first and not in capitals throughout ("Woman", not
    "WOMAN" or "woman"): the case a slot keeps in every candidate inside a sentence."""
    return word[:1].isupper() and not (len(word) > 1 and word.isupper())


TRANSPARENT = _words(
    """
    beautiful pretty handsome cute lovely gorgeous happy sad angry tired tall short little small big
    large fat thin slim skinny chubby muscular strong blonde blond brunette redhead ginger curly
    wavy bald smiling laughing crying confident proud serious shy friendly kind wise stern elegant
    stylish fashionable attractive ugly scary mysterious brave fierce gentle lonely poor rich wealthy
    famous local native traditional modern typical cheerful joyful thoughtful worried nervous calm
    focus half
    """
)
"""Adjectives that sit between a modifier and its head noun without being the head ("an old, wise
man"), booru's "focus" ("male focus") and "half" ("half Japanese half Brazilian"); a word ending
in -ing, -ed or -ly is read the same way."""

SAID_OF_PERSONS = _words(
    """
    hot sexy cute stunning attractive lovely pretty beautiful gorgeous handsome smiling laughing
    crying shy confident proud cheerful blonde blond brunette redhead muscular chubby skinny slim curvy
    """
)
"""Words said of a person, not of food or things, before a people's word used as a noun with no
article: "hot latina in a red dress", "pretty Filipina smiling" (not "traditional Japanese")."""

NOUNS_LIKE_PARTICIPLES = _words(
    """
    building buildings painting paintings drawing drawings ring rings king thing things ceiling
    clothing wedding weddings morning evening string strings spring wing wings swing sling pudding
    bedding stuffing frosting icing railing flooring lighting setting earring earrings duckling
    dumpling dumplings sapling seedling offering carving carvings etching engraving engravings
    recording recordings landing ending beginning feeling meeting meetings gathering opening
    bed beds shed sheds sled seed seeds weed weeds reed reeds steed steeds shred bread red
    belly jelly lily rally valley alley trolley fly holly bully family families ally allies bullies
    butterfly dragonfly firefly assembly
    """
)
"""Words ending in -ing, -ed or -ly that are nouns, not participles: the head of the phrase."""

OBJECT_HEADS = _words(
    """
    doll dolls figurine figurines statue statues statuette costume costumes toy toys mannequin
    mannequins puppet puppets emoji emojis sticker stickers icon icons cutout cutouts
    duck ducks hen hens bird birds cat cats dog dogs bear bears lion lions lioness elephant elephants
    deer goose geese swan swans owl owls fox foxes wolf wolves rabbit rabbits horse horses cow cows
    pig pigs whale whales dolphin dolphins monkey monkeys penguin penguins bee bees ant ants wasp
    wasps butterfly butterflies orchid orchids fern ferns cactus cacti piece pieces
    dragon dragons unicorn unicorns griffin griffins wyvern wyverns
    book books novel novels comic comics poster posters logo logos sculpture sculptures
    hat hats boots dress dresses outfit outfits uniform uniforms gown gowns attire garb getup getups
    hairstyle hairstyles haircut haircuts makeup
    ornament ornaments topper toppers mask masks nutcracker nutcrackers cookie cookies pinata pinatas
    """
)
"""After a person noun, these make it an object or an animal ("a bride doll", "a cowboy costume",
"a mother duck", "a queen bee", "the little prince book", "a cowboy hat", "a flapper dress", "a maid
outfit": the garment, not a person)."""

OCCASIONS = _words(
    """
    halloween christmas xmas holiday easter birthday wedding party carnival nativity advent festive
    valentine valentines diwali hanukkah
    """
)
"""An occasion between a person noun and an object head leaves it the object's ("an old hag halloween
mask", "a santa christmas ornament", "a witch party costume")."""

GROUP_NOUNS = _words(
    """
    couple couples family families group groups team teams crowd crowds tribe tribes band bands
    trio trios duo duos quartet quartets gang gangs crew crews squad squads party parties class
    classes troop troops troupe troupes choir choirs household households clan clans
    battalion battalions regiment regiments platoon platoons brigade brigades militia militias
    legion legions horde hordes warband warbands impi impis cavalry infantry garrison garrisons
    """
)
"""Nouns of a group of persons: a number after one counts its members ("a family of five", "a team
of 11"), never an age."""

ARTICLES = frozenset({"a", "an", "the"})
"""A title may open with one ('"the Boy Who Lived"'); an English loan phrase does ("a coup de grâce")."""

DETERMINERS = frozenset({"a", "an", "the", "this", "that", "my", "your", "our", "their", "its", "one", "another"})
"""Before a modifier with no noun after it ("a 5-year-old", "the elderly"), it names a person."""

POSSESSIVES = frozenset({"her", "his", "their", "my", "your", "our", "one's"})
"""An age decade counts only after one of these ("in her 30s"), optionally with early/mid/late."""

LINKING = frozenset({"is", "are", "was", "were", "be", "been", "being", "am", "becomes", "became"})
"""Between two person nouns, these make them one person ("the woman is a doctor's mother")."""

_AN_PREFIXES = ("hour", "honest", "honor", "honour", "heir")
_A_PREFIXES = ("eu", "ewe", "uni", "use", "usu", "uti", "ure", "uro", "one", "once", "ubiq")


def indefinite_article(word: str) -> str:
    """ "a" or "an" for `word`, by sound: "an old", "a European", "a one-", "an hour", "a young",
    "an 80-year-old", "an 11th", "a 20-year-old"."""
    w = word.lower()
    digits = len(w) - len(w.lstrip("0123456789"))
    if digits:
        number = w[:digits]
        return "an" if number.startswith("8") or (digits % 3 == 2 and number[:2] in ("11", "18")) else "a"
    if w.startswith(_AN_PREFIXES):
        return "an"
    if w.startswith(_A_PREFIXES):
        return "a"
    return "an" if w[:1] in ("a", "e", "i", "o", "u") else "a"
