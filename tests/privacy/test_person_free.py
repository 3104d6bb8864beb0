"""Prompts that show no person get N = 1 and go out as written; the kinds of person word that name
no person (docs/privacy.md, "Binding to a person"): WordNet's things named by a noun before a person
noun, classifying possessives, first names in a place's name, capitals on a sign, a title opening
a brand. Each kind has prompts where the same words do show a person."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from tests.privacy.test_invariant import assert_closed, count

from obclip.privacy import build_candidate_set, default_taxonomy
from obclip.privacy.binding import ALWAYS, _wordnet, binding

PERSON_FREE = [
    # likenesses: a death mask, an anatomical model
    "golden death mask of the boy king Tutankhamun behind museum glass, reflections",
    "anatomical model of a pregnant woman's torso, removable plastic organs, on a classroom shelf",
    # a people's word before "language" names the language
    "map of Asian language families, pastel colors, encyclopedia style",
    # an idiom with "&" for "and": a small family business
    "a Mom & Pop hardware store front at dawn, closed sign in the window, empty sidewalk",
    # a title opening the prompt before a brand's name and a thing
    "Ms. Pac-Man arcade cabinet glowing in a dark wood-paneled basement",
    "Mrs. Meyer's hand soap bottle on a white sink, eucalyptus sprig",
    # a quotation before what it is written on is text, whatever its case
    'no humans, grave, tombstone, "beloved mother" engraving, flowers, rain',
    'a silver ring with "mother" engraved inside, macro',
    # ... and in single quotes, with what it is written on soon after it or a word that says so
    # right before it
    "no humans, food, dumplings, 'grandma's dumplings' sign, steam",
    "'Mr & Mrs' gold acrylic cake topper on a white wedding cake",
    "a baby shower banner 'It's a Boy!' hanging over an empty table",
    "weathered tombstone that reads 'Beloved Wife and Mother, 1921-1987', wildflowers",
    "restroom door signs 'Ladies' and 'Gents', brass plaques",
    "a rusty fishing trawler named 'Miss Kathleen' tied up at a foggy pier",  # a thing's name
    "a diner chalkboard by the door: 'Grandpa's Famous Chili', hand lettering",  # after a colon
    "a sign that says Mrs. Smith's Bakery, pastel storefront",  # a titled possessive names a shop
    "inventory screen, 'Queen's Crown' legendary shield, pixel art",  # the name of the thing after it
    "'Little Miss' vintage teapot on a shelf",  # ... across words that are no function word
    "a birthday cake with 'Happy 80th Grandma' piped in pink icing",  # a thing "with" it, how it is written
    "album cover, 'Daddy Issues', grunge, photocopy texture",  # what it is written on, then a comma
    # a message: it addresses its reader, greets or dedicates
    "condolence card, single white lily, 'in loving memory of Mum', soft grey watercolor",
    "pop-up paper bouquet, 'Mom, you're the best', pastel pink, macro shot",
    # a capitalised possessive opening the proper name of a place
    "Dead Woman's Pass on a misty trail in the andes",
    "Bachelor's Grove cemetery at night, fog",
    "no humans, fantasy map, 'Maiden's Pass', rivers, parchment",  # in quotes too
    # toys in a person's likeness that WordNet does not list; chess pieces named with a pawn or rook
    "LEGO minifigures of a policeman and a nurse on a white background",
    "a bobblehead of an old fisherman on a desk",
    "funko pop of a Japanese schoolgirl, box art, white background",  # a likeness of two words
    "icon set: king, queen, rook, pawn, flat design",
    "plastic army men in a sandbox, macro",
    "the ocean liner on its maiden voyage, 1912",  # idioms of "maiden"
    "Iron Maiden concert poster on a brick wall",
    "an old maid card game on a kitchen table",
    "a pair of kings and a pair of queens, poker hand, casino table",  # cards, as chess pieces
    "Father Christmas figurine on a mantelpiece",  # personifications
    "Old Man Winter blowing snow over a village, fantasy art",
    # dishes, vegetables, a car and a typeface named with person words
    "Angel hair pasta with lemon and basil, food photography",
    "no humans, cafeteria tray, pizza, milk carton, tater tots, flash photography",
    "His & Hers matching bathrobes hanging on hooks, spa bathroom",
    "new baby card, baby booties and a rattle, pink and mint, flat vector",
    "claw machine full of plush princesses and knights, neon arcade glow",  # toys
    "a knight chess piece, a king and a tin soldier on a child's windowsill",  # a tin soldier is a toy
    "Chinese cabbage and baby bok choy in a wicker basket at a farm stand",
    "Mini Countryman in british racing green, no people",
    "Mrs Eaves serif font specimen poster, letterpress",
    # the words of historical peoples said of things
    "Roman numerals on a clock face",
    "an ottoman in the living room",
    "Spartan living room, minimal",
    "Byzantine mosaic of a church dome",
    "Trojan horse statue in a museum",
    "Japanese armour on a stand, museum lighting",  # a military unit in WordNet, a thing here
    # a children's book is a kind of book, a frog prince a frog
    "a mother hen leading her chicks across a farmyard, children's book style, crayon texture",
    "a sleepy otter holding a teddy bear in a bathtub, children's picture book, soft crayon",
    "illustration of a frog prince on a lily pad wearing a tiny crown, fairy tale",
    "his and hers bathroom vanity, double sinks, marble, real estate photography, no people",
    # where the prompt says nobody is there, a person word capitalised inside a phrase is a name's
    "rusty Mother Teresa Street sign on a wall in Skopje, pigeons, no people",
    "Tomb of the Old Mother, dungeon entrance carved into a cliff, no characters",
    "The Old Guitarist, but only the empty chair and the guitar, no figure",
    # artworks, figures and things named with person words (binding.json, not_a_person)
    "a Madonna and Child painting in a church",
    "Venus de Milo in the Louvre, soft light",
    "a nativity scene with baby Jesus in a manger",
    "a girl scout cookie box on a kitchen counter",
    "a dad joke printed on a coffee mug",
    "a granny square blanket on a sofa",
    "a bride and groom cake topper on a white cake",
    "a daddy long legs spider on the ceiling",
    "Cantonese roast duck hanging in a shop window",  # a people's word said of food
    "Andean mountains at dawn, mist over the valley",  # ... or of a place
    "a mother duck photo, pond",  # a picture of the animal
    "a female robot design, blueprint",  # ... and of a likeness
    # WordNet lists "mannequin" and "robot" as persons too; here they are things
    "(grandmother's attic:1.3), steamer trunk, sewing mannequin, dust motes, (empty:1.2)",
    # dishes named with a person word that WordNet does not list
    "croque madame with a runny fried egg, paris bistro table",
    "shrimp po' boy dripping with remoulade in butcher paper",
    "grandma pizza square slices on a pizzeria counter",
    "the five french mother sauces in copper saucepans, overhead",
    "gentleman's relish on buttered toast soldiers, silver tray",
    # a noun before a person noun names a thing (WordNet: first sense food, animal, plant)
    "a gingerbread man cooling on a wire rack, icing details",
    "two gingerbread men on a plate",
    "a sea urchin on a rock at low tide",
    "a water boatman on a pond",
    # a plural possessive right after a singular article classifies the thing
    "a boys' bicycle leaning against a picket fence",
    "a girls' bicycle leaning against a picket fence",
    "a women's magazine on a coffee table",
    "a men's room door",
    "a children's book on a shelf",
    "toddler bed shaped like a race car in a boys room, blue stripes",  # the apostrophe left out
    # the owner of a thing, with no person beside it, need not be in the picture
    "a gentleman's pocket watch lying on an old map, still life, sepia, macro",
    "pair of men's leather oxford shoes, product photo, white background",
    "men's leather bifold wallet product shot, cognac brown, on an oak desk",  # five words to its end
    "baby's first christmas ornament, glass, engraved date, hanging on a tree",  # an ordinal is no person
    "handmade card, glitter glue, crooked crayon letters, mothers day",  # a day's name
    "a mom and pop shop on a corner, rainy evening",  # a family business
    "mom-and-pop diner at night, neon",
    "a red jeep cherokee parked on a dirt road",  # a car and a helicopter named after peoples
    "an apache helicopter over the desert at dusk",
    "mother of the bride dress in champagne sequins hanging on a closet door",  # a kind of dress
    "wig on a styrofoam head, lace front, body waves, baby hairs laid, salon shelf",  # a hairline's edges
    # a quotation before what one wears names it
    'uniform shop window: nurse dress, chef jacket, a pilot\'s cap and a "policewoman" costume on mannequins',
    'the perfect "girl next door" makeup look demonstrated on a mannequin head, peach blush',
    "an old fisherman's boat at the harbor, dawn",
    "a little girl's bedroom with posters, cozy",
    "a boy's bicycle leaning against a fence",
    "a man's hat and a woman's scarf on a park bench",
    "an old man's rocking chair on a porch",  # a participle before the thing is no head
    # a people's word after a word said of food or things names the thing
    "spicy thai with rice, food photography",
    "traditional Japanese with rice and miso",
    # a name in title case on a sign or a title, after the word that says so
    "a neon sign that says 'Grandma's Diner' on a rainy night, retro americana",
    "weathered tavern sign reading The Jolly Fisherman, seaside town, dusk",
    "a handwritten recipe card titled Grandma's Apple Pie next to a fresh pie",
    # kin and baby words before an animal and a participle stay the animal's
    "a mother duck swimming in a pond",
    "a baby koala sleeping on a branch",
    "a mother horse grazing in a meadow",
    # a landmark, a tea, a cathedral named with a person word (the idiom lexicon)
    "Old Man of Storr, Isle of Skye, moody clouds, long exposure",
    "the old man of hoy sea stack at sunset",
    "a cup of Lady Grey tea next to a scone with clotted cream",
    "a cup of earl grey tea, steam, cozy",
    "notre dame de paris rebuilt in the year 3000, solarpunk",
    "Notre-Dame de Paris at dawn, seine river, mist, impressionist painting",
    # a first name in the proper name of a place or a breed
    "a Saint Bernard with a barrel collar in the Alps",
    "a St. Bernard puppy in the snow",
    "Lake Victoria at sunset",
    "Mount Logan under snow",
    "San Diego harbour at dawn",
    # capitals on a sign or a label
    "neon sign that says GIRLS GIRLS GIRLS on a rainy Las Vegas street",
    "a door labelled WOMEN in a train station",
    'a poster with "OLD MAN" in big letters',
    'a poster with "old man" in big letters',  # in lower case too: what it is written as follows
    # a title opening a brand that names a thing
    "a Mister Softee ice cream truck parked on a Brooklyn street",
    "the Mr. Clean bottle on a shelf",
    # a people's word used as a noun after an article and a word said of food
    "a delicious Thai with rice on a plate",
    # a pronoun right after an animal and "and"/"with", with no person in the prompt
    "a hen and her chicks in the straw",
    "a cat with her kittens in a basket",
    "a lioness and her cubs at the waterhole",
    # a pronoun after an animal (WordNet's), with no person in the prompt
    "pic of my dog wearing a graduation cap, he finally passed puppy school lmaooo",
    "A golden retriever sleeps on the rug. His paws twitch as he dreams.",
    "my cat on the windowsill, she's so fluffy, watercolor",
    # whom a thing is for, where no one else is named; a person noun before a colour
    "product shot, perfume bottle, for women, pink glass, white background",
    "nursery interior for a baby girl, sage green walls, white crib, (empty room:1.4)",
    "sneakers for kids, white background, studio lighting",
    # a child noun after the possessive of an animal: the animal's young
    "mother giraffe nuzzling her baby at a watering hole, serengeti",
    "a nanny goat and her kid on a rocky hillside",
    # a person word in the proper name of a thing: the name in capitals, a thing just before or after
    "the yacht Lady Anne at anchor in the bay",
    "a racehorse named Lady Grace galloping on the turf",
    "the Green Man pub sign, english village",
    "the Three Sisters rock formation in the Blue Mountains, mist",
    "the Old Man Jenkins farm at dawn",
    "top-down battle map of a tavern called The Drunken Maiden, tables, fireplace",  # "The" opens the name
    "Maid of the Mist boat at Niagara Falls, spray, rainbow",  # "of the" inside the name
    "the Queen Victoria Station at night, wet cobbles",  # a name that ends in what it names
    "Queen of Hearts playing card, macro",
    # a quoted title in title case: the name of a shop, book or film
    'logo for a bakery called "Grandma\'s Oven", minimalist, vector',
    'barbershop logo "The Gentleman\'s Cut", scissors and straight razor crossed',
    # a first name before a word of style: an artist
    "the Grand Budapest Hotel facade, pastel pink, Wes Anderson style",
    # an owner before a noun after a thing; before any noun where the prompt says nobody is there
    "women's restroom sign on a tiled wall, mid-century pictogram",
    "seamless pattern of daisies, children's fabric print, pastel",
    "gentleman's study with mahogany shelves, leather wingback chair, empty, dark academia",
    "(no humans:1.4), still life, grandmother's teacup, lace doily, window",
    "Dead Woman's Pass on the Inca Trail, clouds over the ridge, no hikers",
    # breeds, apples and a flat: idioms
    "no humans, dog, german shepherd, snow, tongue out",
    "Granny Smith and Pink Lady apples in a wicker basket",
    "a granny flat in the backyard, cedar cladding",
    "the Lady Chapel of a gothic cathedral, stained glass light rays, no people",
    # a first name in WordNet's name of a thing, or opening a thing called by a full name
    "(Bloody Mary:1.3) cocktail, celery stalk, dark moody bar",
    "Eggs Benedict on a brunch table with mimosas, sunny patio",
    "a lazy Susan on a farmhouse table",
    "a Shirley Temple and a Tom Collins on a sticky bar top, neon glow",
    # a name, or a title or kin word and a name, before a thing that ends the phrase
    "(Margherita pizza:1.3) straight out of a wood-fired oven, leopard-spotted crust",
    "Jack Russell terrier mid-jump catching a frisbee on the beach",
    "botanical illustration of a Lady Banks rose, watercolor, vintage plate",
    "a King Charles spaniel asleep on a velvet sofa",
    # a thing made for persons, and rooms and menus named after them
    "product shot of a beard oil for men, amber glass bottle, cedar wood tray",
    "yellow rain boots for kids on a doormat, studio",
    "kids menu illustration, smiley-face pancakes, dino nuggets, crayon texture",
    "mother-in-law suite above the garage, kitchenette, skylights, listing photo",
    "monk's cell turned guest room, whitewashed walls, single iron bed",
    "the Flying Scotsman crossing a viaduct, plume of steam, autumn hills",
    # a character's name: a plain noun capitalised after a capitalised noun no list holds
    "Wonder Woman action figure still sealed in its blister pack, studio softbox",
    "Captain America shield replica hanging on a garage wall, chipped paint",
    "babushka nesting dolls painted as superheroes on a souvenir stall, snow",
    # where the prompt says outright that nobody is there: a name, a person noun before a noun
    "dead mall food court after closing, Sbarro and Orange Julius signs, nobody, neon",
    # a tag of its own that says so frees every word ("no humans" in 901 corpus prompts, none of a person)
    "nursery for a baby girl, blush pink walls, white crib, cloud mobile, nobody, soft light",
    "no humans, city, cyberpunk, skyscraper, neon sign, geisha hologram, rain, night",
    "kids' bedroom after bedtime, bunk beds, toys on the floor, (no people:1.2), blue night light",
    "no humans, dragon, mother dragon, dragon egg, nest, cave, glowing",
    # a person word that "no" or "without (any)" denies names no one in the picture
    "Montessori classroom interior, wooden toys, low shelves, natural light, no children",
    "Dutch oven of chili over a campfire next to a chuckwagon, western, no cowboys in frame",
    "an empty playground at dusk, no old men, (no girls:1.2), swings",
    "1950s catalog page of toys, without any kids in it, just the products",
    # a person noun before things in the plural or compounded
    "monk parakeets building a stick nest on a power pole",
    "queen conch shell on white sand, turquoise water",
    "naked lady lilies against a chain link fence",
    # a pronoun after an animal that is a name too, written as the animal
    "lead mare and her foal in a snowy paddock",
    "nanny goat and her two kids on a rocky outcrop above a whitewashed chapel",  # a count between
    "Arabian mare and her foal galloping over dunes, dust, backlit",  # a people's word before an animal
    "roma tomatoes on a cutting board, basil, olive oil",
    "roman blinds in a sunny bedroom, linen, an ottoman at the foot of the bed",
    "a Roman Catholic church interior, candles, pews, stained glass",
    "mother dragon curled around her eggs in a volcanic nest, warm glow",  # a beast of myth
    "action figure of a masked superheroine still in its blister pack, toy photography",
    "1/7 scale PVC figure of a catgirl maid on a display base, product photo",
    "Durga Puja pandal, giant clay idol of the goddess, lights, Kolkata night",
    # things made in a person's likeness (WordNet: statue, figurine, robot, mannequin, dummy)
    "a marble statue of an old fisherman mending a net, museum lighting",
    "bronze statue of a mother holding her baby in a city park, rain",
    "a rusty robot grandma knitting a scarf on a porch",
    "vintage ventriloquist dummy of a boy in a sailor suit on a wooden chair",
    "(porcelain figurine of a Dutch girl:1.2), shelf, dust",
    "bronze statue of a fisherman on the harbor wall, seagull on his cap, overcast",  # the statue's cap
    "Soviet-era monument of a worker and a kolkhoz girl holding a hammer and sickle, steel",
    "a mannequin in a shop window, his arm raised, neon reflections",
    # a quoted title that opens with an article, a name alone in quotes before what it is written as
    '"the Boy Who Lived" book on a nightstand, reading lamp, owl feather bookmark',
    '"Jolene" in pink neon script on a honky tonk wall, nashville, bokeh',
    "retro concert poster, a pink flamingo in a tiny crown, 'Queen of the Lagoon', halftone",  # single quotes
    # a ship's name: after its prefix, or numbered
    "RMS Queen Mary moored at Long Beach at night, neon reflections on black water",
    "the Queen Mary 2 leaving Southampton at twilight, ocean liner, long exposure",
    # capitals on the sign named right after them; a plant's name
    "MEN AT WORK road sign in the rain, empty highway, orange glow",
    "GIRLS GIRLS GIRLS neon sign over a club door, rain",
    "mother in law's tongue snake plant in the corner of a minimalist living room",
    # "nobody" is no person in the picture: the owner need not be shown
    "grandpa's empty workshop, dusty lathe, hand planes on a pegboard, nobody there, melancholic",
    # an object's person nouns in a list, or with an occasion between (`_object`)
    "Hinamatsuri doll display on a red stand, emperor and empress dolls at the top",
    "bride and groom cake toppers on a white fondant cake",
    "rubber old hag halloween mask hanging on the wall of a costume shop",
    "a witch party costume on a hanger, shop window",
    "gingerbread knight and princess cookies on a baking tray, royal icing",
    "nutcracker king on a mantel beside pine garlands",  # a likeness of its own
    "russian nesting dolls painted as brides, matryoshka, red and gold",  # a likeness painted as them
    # holidays, a child's drawing, a party's table, a painting's title
    "Rosca de Reyes on a ceramic plate, candied fruit, Three Kings Day, hot chocolate",
    "Father's Day card with a hand-drawn necktie, crayon, child's drawing style",
    "a princess castle birthday cake with ice cream cone towers, kid's party table, balloons",
    "Whistler's Mother reimagined as just the empty chair in a grey room",
    "carved wooden Krampus mask with goat horns, Austrian folk art, museum display",
    # an artist's title and name before "style" or after "by"
    "Raja Ravi Varma style painting of a palace garden, oil",
    "a foggy harbour at dawn by Sir Joshua Reynolds",
    # a pet's or a thing's name after "named"/"called" (and a pronoun after it, the pet's)
    "a corgi named Kevin wearing a tiny tuxedo on a wedding aisle",
    "an old mare named Duchess grazing in a misty paddock",
    "a black lab named Mr. Biscuits waiting by the door with a leash in his mouth",
    # a picture that hangs in the scene; cut-outs, wax figures; a pair of nouns before an object
    "an oil portrait of a stern old admiral hanging above the fireplace of an empty manor library",
    "empty barbershop at night, faded poster of a man with a pompadour on the wall",
    "an empty art gallery, huge portrait of a young duchess hanging on the far wall",
    "a cardboard cutout of a cowboy alone in an empty movie theater lobby",
    "abandoned wax museum, half-melted wax figures of kings and queens",
    "halloween costume aisle, rows of witch and vampire costumes on hangers",
    "child size mannequin in a school uniform in a shop window",
    # a thing made for a child after its word (`child_things`); a likeness in weights' brackets
    "a nursery room with a white crib and a baby mobile, soft pastel, interior design",
    "antique mother-of-pearl baby rattle in a velvet box, victorian",
    "((antique marionette)) of an old king with a cracked painted face, puppet theater backstage",
    "(bronze statue:1.2) of a fisherman on the harbor wall",
    # a possessive without its apostrophe opening the prompt or a phrase, before a thing owned
    "boys bike leaning on a fence, summer",
    "dads garage with tools on the wall",
    "mens room sign on an old door",
    "womens perfume bottle on marble, product shot",
    "mens leather watch product photo",  # a picture of the thing
    "children bike leaning on a fence",  # a plural without "s": read by its kind, never its form
    "nuns habit on a hanger in an empty room",
    "three king cakes on a bakery counter",  # an idiom's last noun as a plural
    # an animal's parent after the animal; a lens's focus; plants' names
    "Emperor penguin father balancing an egg on his feet, antarctic blizzard",
    "a mare and her newborn foal in the paddock, spring, (soft focus:1.3), ((pastel))",
    "three sisters garden: corn, beans and squash growing together",
    "old maid periwinkle flowers in a clay pot on a farmhouse step",
    "a hedgehog mother tucking her three babies into a bed of leaves",  # her young, the mother's
    # an animal remade as a person
    "make my corgi look like a british royal guard",
    "turn my cat into an old man with glasses for a meme",
    "my cat as a victorian gentleman, top hat, monocle",
    "ball-jointed doll dressed as a princess, porcelain face, display case",
]

PERSONS = [
    # a plural that does something, never an owner
    "boys playing football in the park",
    "Hispanics dancing salsa",  # a participle after a plural, and its object
    "boys gear up for a hike",  # a verb and its particle
    "girls bike to school",  # a word that is also a verb, before where it goes
    "boys dress up as pirates",  # "dress", a thing alone, is the verb before its particle
    "dads suit up for the big game",
    "the boys bike to school",
    "kids room with bunk beds, two boys sleeping",  # the owned thing, and the persons beside it
    "a grandmother square dancing with friends",  # an activity of WordNet's, no "granny square"
    "a proud dog mom with her corgi",  # a casual parent's word after an animal: a person
    "three sisters gardening together",
    "me and my dog as a king and queen",  # one of them is the user
    "photo of Elon Musk as a medieval king, oil painting",  # a name, no animal
    "little brother and big sister bottle-feeding orphan lambs",  # "big brother" is an idiom, not here
    "big brother carrying his little sister on his back",
    "a woman with her horse, soft focus",
    "a poor boy begging",
    "a neanderthal man with a spear",
    "a boy scout at camp",  # WordNet's first sense of "boy scout" is a person
    "the boys' bicycle and the boys",
    "a boy's bicycle leaning against a fence, the boy waving",  # an owner beside a person
    "a woman's hat blowing in the wind as she runs after it",
    "a woman's hand on a table",  # a body part, a likeness, a person: the owner is there
    "a woman's hands kneading dough",
    "close-up of men's hands",
    "a woman's portrait in oil",
    "a Norwegian fisherman's wife waiting at the harbor",
    "a man's wife's ring",
    "a woman reading a women's magazine",
    "a women's soccer team celebrating",  # a possessive before a group: persons
    "a boys' choir in white robes",
    "Bernard walking his dog",
    "a saint bernard lying next to Emma",
    "she walks her dog in the park",
    "a man reading Grandma a story",
    "portrait of the Queen of England",
    "the King of Spain waving from a balcony",
    "a Young Woman portrait",
    "a pretty Latina with curly hair laughing",  # a people's word used as a noun
    "hot latina in a red dress dancing salsa, club lights",  # ... with no article
    "club lights, pretty Filipina smiling",
    "a beautiful young Nigerian in a suit",
    "a nanny with her baby",
    "a farmer and her dog",
    "sunset over the sea, her hair blowing in the wind",
    "a woman with a dog and her puppy",
    '"PORTRAIT OF AN OLD WOMAN"',
    "PORTRAIT OF AN OLD WOMAN",
    'a portrait of an "old man" in a park',  # quotes with nothing written after them
    "Mrs. Smith portrait, soft light",  # a picture shows the person
    "a woman says hello to a man",
    "a sign that says hello to a MAN",
    "Mister Rogers smiling",
    "Mr. Smith drives a truck",
    "a Mr. Smith walks in",
    "Grandma Emma baking bread",
    "Sir Richard smiling",
    "a mister softee truck",  # written in lower case: a person word, not a brand
    "a Mrs. Smith photo",  # a picture of the person
    "a Mister Rogers doll",
    # a gender's plain noun before a thing and a gerund does the activity: the person is there
    "a woman ice skating on a frozen lake",
    "a man rock climbing at dawn",
    "a girl horse riding on the beach",
    "a boy bird watching with binoculars",
    "two men sword fighting in the rain",
    # ... but not a picture of the one named, nor a name next to a person or an activity
    "a Queen Victoria bronze statue in a park",
    "a portrait of Queen Elizabeth II, oil painting",
    "Mother Teresa praying in a hospital",
    "a girl in a Wonder Woman costume",
    "a man named Big John on a horse",
    "Young Woman Sitting On A Bench, Oil Painting",  # title case throughout: no proper name
    'a woman reading "Little Women" by a window',  # the title stays, the reader is varied
    "a woman in a Wes Anderson style diner",
    "a woman's ring finger with a diamond, no people",  # a body part after a thing shows her
    "a man's boat crew, no people",  # a group too
    "a woman named Susan on a porch",  # a name in no thing's name
    "lazy Emma sleeping on the couch",  # "lazy Susan" frees Susan only
    "a Maria Lopez lookalike smiling",  # a full name that goes on to a noun ("Emma Watson": a known person, told)
    "a lone woman walking on an empty beach",  # an empty place may hold a person
    "an empty room, Emma sitting alone",
    "no people, Mrs. Smith's garden gate, Mrs. Smith waving",  # a name after a title
    "Rose and her daughter at the market",  # a name that is a flower too, capitalised
    "a Gentleman Aad in a bowler hat",
    "a woman and her two kids at the park",
    "a toddler climbs the stairs",  # a verb, no object in the plural
    "a girl paints a mural",
    "a woman shells peas on the porch",
    "portrait of an old woman, oil painting",  # a picture may show the user
    # "nobody around" says no one else is there: a word that is no noun after a person says it of her
    "a woman alone on a beach, nobody around",
    "WOMAN holding sign at a protest",  # a verb between: the sign is hers
    'a "Karen" yelling at a store manager',  # a name alone in quotes, nothing written
    "Emma Stone 25 years old, red carpet",  # a number after a name that is an age
    "in those days women wore hats, sepia photo",  # a noun after "days" is none of an infant's age
    "an old man asleep on a bench, nobody else",
    "an old man carving a statue of a horse",
    "a girl holding a doll",
    "a girl named 'Emma' in a red coat",  # a person's name, not a thing's
    "a man called The Old Soldier, portrait",  # ... with "The" too
    "the Queen of England waving from a balcony",  # a run with "of" and no thing after it
    "'Grandma' and an old woman in a garden",  # a quotation with no thing after it
    "teacher appreciation card 'Thank you Mrs. Patel!', crayon drawing style",  # a title names her
    "doormat 'Mr. and Mrs. Lopez', porch",  # ... two titles and a surname
    "a woman in a park, 'happy old woman'",  # "happy" alone greets no one
    "the boys' room with a woman in it",  # a plural's apostrophe opens no quotation
    "a woman saying 'hi' to her son",
    "two army men saluting at a parade",
    # a picture right after a person noun shows that person (`binding.json`, `pictures`)
    "anime girl art, pink hair",
    "old man sketch, charcoal",
    "female knight concept art",
    "male character design, armor, turnaround",
    "boy sprite sheet, pixel art",
    # a booru tag that says a character is drawn, with no person noun (`binding.json`, `person_tags`)
    "solo, 70 years old, wrinkles, hanbok",
    "(looking at viewer:1.2), elderly, wrinkles, kimono",
    "the Queen's Guard marching in london",  # a possessive before persons
    "portrait, an Old Man's Face, oil",  # ... before a body part
    "a woman at a pawn shop counter",
    "Maria Lopez portrait, studio light",  # a picture after a full name shows her
    "she stands beside a statue in the park",  # a pronoun before the likeness is a person
    "(Medusa:1.3), snakes for hair, (stone statues of warriors:1.1) around her, temple ruins",  # hers
    "a woman fan in a Chiefs jersey screaming, red confetti",  # a thing that is a person too
    "a woman climber on a granite cliff",
    "my daughter eats a cannoli on the steps",  # a verb after its subject, a noun in WordNet too
    "Beautiful Woman in a red dress, 8k",  # a word said of a person before the capital
    "a woman cosplaying Wonder Woman at comic con",
    "a woman falls from the sky, surreal",
    "a Frida Kahlo self-portrait with a monkey",
    "Maria cooking pasta in a small kitchen",  # no thing after the name
    "a birthday party for kids, balloons, clown",  # a gathering for persons may show them
    "a woman buying a gift for her husband",
    "a woman with no children, sad eyes, window light",  # only the denied words are freed
    "a man without his wife at the dinner table",  # a pronoun after "without" is his
    "a girl lion tamer with a whip, circus ring",  # an animal before a person noun names what she does
    "a boy dragon rider over the clouds",
    "1girl, old woman, no humans, city ruins",  # a count tag is a person whatever else is said
    "a king and queen walking through the garden",  # no object after the pair
    "Ukrainian refugee kids drawing at a school in Warsaw",  # kids who draw; "kids' drawing" is a style
    "baby's first steps on a rug, soft light",
    "a woman dressed as a bride at a costume party",  # dressed as: a likeness only after a likeness
    "a woman halloween party guest in a cape",  # a person after the occasion, no object
    "Grandma Rose style cooking, an old woman at the stove",  # a kin word and one name: a person
    "by Greg Rutkowski, Uncle Bob fishing on a lake",  # a kin word after an artist's name
    "Austrian folk art portrait of an old woman",
    "a woman named Emma reading by the window",  # a person's name after "named"
    "a parrot named Mrs. Pickles on a bookshelf, a woman reading",  # the woman is still varied
    "photo of a man hanging laundry",  # a person who hangs something, not a hung picture
    "portrait of a man hanging on a rope, climbing",
    "a woman and vampire dolls on a shelf",  # an article: the woman is one of her own
    "a man carving a statue of his father",  # the possessive is the carver's, no likeness
    "(newborn:1.2) sleeping in a wicker basket, knitted bear hat",  # a child's age word alone names a child
    "tween, braces, selfie, mirror",
    "hip hop dance battle, b-boy frozen mid-air, circle of spectators",
    "Working Women in a factory, 1940s",  # capitalised after a word in -ing: persons, no band
    "a Mexican niña holding a rag doll at a market",  # a Spanish child noun
    "a baby in a stroller at the park",  # the thing is no head of the child's word
    "a young mom with a baby carrier wandering a botanical garden",  # what holds a baby holds one
    "young East Germans climbing the Wall at night",  # a people's plural, no band
    "(portrait:1.2) of an old man",  # a picture may show the user
    "oil portrait of a young noblewoman in an ornate gold frame",  # ... framed too
    "a bronze goddess on the beach, sunset",  # a skin's colour, no material
    # after an animal, an object pronoun or a possessive before a body part is someone unnamed
    "a cat asleep on her lap, cozy",
    "close up of a puppy licking his face",
    "a dog jumping on him in the yard",
    # whom a thing is for, beside a person, is varied as an owner is
    "a woman wrapping a gift for her grandson",
    "a bride holding a bouquet for her bridesmaids",
    # ... and where the phrase after "for" goes on to show the person
    "birthday card for a boy turning 7, gap-toothed grin, party hat",
    "hairstyle for a boy with curly hair, short sides, front and side view",
    "Christmas nails for grandma, red with little snowflakes, short and practical",  # worn on her body
    # a capitalised animal is a name: the pronoun is the person's
    'a grey-bearded thru-hiker on the AT, trail name "Moose" written on his pack, rain',
]


@pytest.mark.parametrize("prompt", PERSON_FREE)
def test_person_free_prompts_get_one_candidate_sent_as_written(prompt):
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1, cset.template.text
    assert cset.candidates == (prompt,)


@pytest.mark.parametrize("prompt", PERSONS)
def test_the_same_words_that_show_a_person_are_still_varied(prompt):
    assert len(build_candidate_set(prompt, seed=0)) > 1


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("a woman smiling at the boy, park", "boy"),
        ("a letter to a girl from her father", "girl"),
        ("Emma and child at the beach, golden hour", "Emma"),
        ("portrait of Maria de Souza in her garden", "Maria"),
    ],
)
def test_an_idiom_frees_its_own_words_only(prompt, word):
    """ "at a quinceañera" (the party), "madonna and child" and "venus de milo" had freed every word
    of their categories there: "at the boy", "to a girl", any name before "and child" or "de"."""
    cset = build_candidate_set(prompt, seed=0)
    assert not all(word in c for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    ("prompt", "fixed"),
    [
        ("a man of God praying in a chapel", " of God praying in a chapel"),  # no goddess among the decoys
        ("a gingerbread man and a woman baking", "a gingerbread man and "),
        ("a woman riding a boys' bicycle", " riding a boys' bicycle"),
        ("a neon sign that says GIRLS above a woman smoking", "a neon sign that says GIRLS above "),
        ("a man walking a Saint Bernard", " walking a Saint Bernard"),
        ("a girl buying a cone from a Mister Softee ice cream truck", "a Mister Softee ice cream truck"),
        ("a woman under a neon sign that says Grandma's Diner", " under a neon sign that says Grandma's Diner"),
        ("a woman standing next to a statue of a king, dusk", " standing next to a statue of a king, dusk"),
        ("a girl holding a sign that says 'i love my mom'", " holding a sign that says 'i love my mom'"),
        ("yoga class on a rooftop, a woman in child's pose, sunrise", " in child's pose, sunrise"),  # a pose
        ("1girl, solo, hakama, taisho roman, boots, cherry blossoms", ", taisho roman, boots"),  # a style
        ("a woman on a roman holiday poster, vespa", " on a roman holiday poster, vespa"),
    ],
)
def test_a_person_next_to_such_words_is_still_varied_and_the_words_stay_fixed(prompt, fixed):
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1
    assert fixed in cset.template.text
    assert all(fixed in candidate for candidate in cset.candidates)
    assert_closed(prompt, seed=0)


def _plural_person_nouns() -> list[str]:
    taxonomy, rules = default_taxonomy(), binding()
    return sorted(
        key
        for key, entry in taxonomy.lexicon.items()
        if not entry.is_pronoun
        and any("plural" in c for c in entry.categories)
        and not any(c.startswith("tag_") for c in entry.categories)
        and all(rules.rule(c) == ALWAYS for c in entry.categories)
        and key.replace(" ", "").isalpha()
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(noun=st.sampled_from(_plural_person_nouns()), thing=st.sampled_from(["bicycle", "magazine", "room"]))
def test_a_classifying_possessive_never_depends_on_the_value(noun, thing):
    """Every plural person noun of the taxonomy, of every value, is read the same way: "a boys'
    bicycle" and "a girls' bicycle" alike; with "the" before it, a person (value or no value)."""
    possessive = noun + ("'" if noun.endswith("s") else "'s")
    assert len(build_candidate_set(f"a {possessive} {thing} on a street", seed=0)) == 1
    assert_closed(f"the {possessive} {thing} and a woman", seed=0)


def test_wordnet_compounds_ending_in_a_person_noun_follow_a_noun_never_an_adjective():
    compounds = set(_wordnet()["compounds"])
    assert {"gingerbread man", "gingerbread men", "sea urchin", "water boatman", "water boatmen"} <= compounds
    assert not {"poor boy", "java man", "peking man", "neanderthal man", "black widow", "old man"} & compounds
    assert not {"gran santiago", "sir barton"} & compounds  # a name last would stand for every name
    assert {"lake", "mount", "saint", "st", "san"} <= set(_wordnet()["name_prefixes"])
    assert not {"i", "ii", "big", "mister", "captain", "river"} & set(_wordnet()["name_prefixes"])
    assert {"photo", "picture", "statue", "doll", "figurine"} <= set(_wordnet()["depictions"])
    assert not {"bottle", "truck", "box"} & set(_wordnet()["depictions"])
    owned = set(_wordnet()["owned_heads"])
    assert {"watch", "shoes", "bicycle", "boat", "bedroom", "hat", "toys"} <= owned
    assert not {"hand", "hands", "arms", "feet", "face", "portrait", "photo", "team", "wife", "party"} & owned
    groups = set(_wordnet()["person_or_group_heads"])
    assert {"team", "choir", "club", "teams"} <= groups
    assert not {"bicycle", "magazine", "room", "book"} & groups


PIECES = [
    *("a", "an", "the", "A", "The", "says", "that says", "reads", "labelled", '"', "“", "”", "'", "'s", "’s", ","),
    *("man", "MAN", "woman", "WOMEN", "women", "girls", "GIRLS", "boys'", "women's", "children's", "old", "OLD"),
    *("Mister", "Mr.", "Mrs", "Saint", "St.", "Lake", "Mount", "Emma", "Bernard", "Victoria", "Softee"),
    *("gingerbread", "sea", "urchin", "bicycle", "truck", "ice", "bottle", "photo", "team", "sign", "smiling"),
    *("watch", "hands", "fisherman", "lying"),
    *("Man", "Woman", "Old", "Green", "Mary", "pub", "yacht", "named", "statue"),
    *("no", "humans", "empty", "study", "finger", "style", "Anderson", "The", "Oven"),
    *("called", "tavern", "with", "cake", "piped", "without", "any", "kids", "female", "hero"),
    *("children", "dads", "bike", "garage", "leaning", "up", "product", "square", "dancing", "granny"),
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(PIECES), min_size=1, max_size=9), seed=st.integers(0, 2**16))
# words in capitals next to a title: each member reads them as the user's prompt does
@example(words=["says", "Mister", "GIRLS"], seed=0)
@example(words=["sea", "MAN", "Mister"], seed=0)
# a possessive after a classifying one renders as a pair in other members ("boys and girls'")
@example(words=["a", "boys'", "old", "boys'"], seed=0)
# a person word after a classifying possessive is read by its kind, never its form: a name
# renders "Ted", "Mister" renders "woman", "old" renders "middle-aged" in other members
@example(words=["a", "boys'", "Emma"], seed=0)
@example(words=["a", "boys'", "Mister"], seed=0)
@example(words=["a", "boys'", "old", "man"], seed=0)
# an article keeps its capital in every member: "Victoria A man" reads Victoria as a first name
@example(words=["Mr.", "Victoria", "A", "man"], seed=0)
# a name after a title, listed or not, is followed by a surname's place ("Queen Softee Queen" renders
# "Queen Emma Queen"); a word's case in a proper name is read as every member writes it
@example(words=["Queen", "Softee", "Queen"], seed=0)
@example(words=["Queen", "MAN", "Queen"], seed=0)
# a word in capitals throughout renders in lower case in other members, so it is no title case
@example(words=['"', "GIRLS", "Mister", '"', "a"], seed=0)
# "no" before a slot says nobody is there in some members only ("no adults's Emma")
@example(words=["no", "children's", "Emma"], seed=0)
# a denied person word frees the slot words right after it, whatever they render
@example(words=["no", "old", "Man", "Woman"], seed=0)
@example(words=["without", "any", "female", "hero", "Mary"], seed=0)
# a slot between a name and "style" is one word or three ("Emma women style", "Emma men and women
# style"): an artist is read only where no taxonomy word stands between
@example(words=["Emma", "WOMEN", "style"], seed=0)
def test_prompts_made_of_the_person_free_kinds_are_closed(words, seed):
    """Every candidate of a prompt mixing these kinds with persons re-expands to the same set:
    the rules read the writing around a word, never its value."""
    prompt = " ".join(words)
    assume(count(prompt) <= 24)
    assert_closed(prompt, seed=seed)


@pytest.mark.parametrize(
    "prompt",
    [
        "a man carving a statue of his father",
        "a woman hanging a portrait of her grandmother on the wall",
        "she is holding a bobblehead of her favorite player, stadium, night",  # a pronoun before the likeness
    ],
)
def test_a_possessive_right_after_a_likeness_is_its_owners(prompt: str) -> None:
    """ "a statue of his father": "his" is the carver's, varied with him; read as the statue's, it
    went out in clear beside a varied "man"/"woman" and told the cloud the carver's gender."""
    cset = build_candidate_set(prompt, seed=0)
    assert {w for c in cset.candidates for w in re.findall(r"\b(?:his|her)\b", c)} == {"his", "her"}, cset.candidates
    assert_closed(prompt, seed=0)


def test_an_acronym_after_the_is_no_name() -> None:
    """ "in the NICU": a word in capitals right after "the" is an acronym; read as the first name
    "Nicu", it had been varied as a second person ("in the Emma")."""
    cset = build_candidate_set("dad holding a newborn skin-to-skin in the NICU, dim light", seed=0)
    assert all("in the NICU" in c for c in cset.candidates), cset.candidates
    assert_closed("dad holding a newborn skin-to-skin in the NICU, dim light", seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("dating profile pic for my dad, 55, fit, cycling jersey, mountain road", "dad"),
        ("sweet 16 invite for my daughter Ava, pink neon, disco ball", "daughter"),
        ("a birthday card for our son, balloons, confetti", "son"),
    ],
)
def test_a_persons_own_kin_after_for_is_hidden(prompt: str, word: str) -> None:
    """ "a pic for my dad": "my" names a real person, whom the picture often shows ("dating profile
    pic for my dad, 55") and whose word is theirs in any case. Read as whom a thing is for, as
    "perfume for women" is, "dad" and "55" had gone out in clear (one candidate), and "my daughter
    Ava" had been sent beside a decoy "my daughter Hans"."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not all(re.search(rf"\b{word}\b", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("Happy 70th Mum card, make it pink with roses", "Mum"),
        ("happy birthday grandpa banner with balloons and a fishing rod", "grandpa"),
        ("happy father's day dad card, him asleep on the couch", "dad"),
    ],
)
def test_a_kin_word_a_greeting_addresses_is_hidden(prompt: str, word: str) -> None:
    """ "Happy 70th Mum card": the greeting names a real person, the user's mother, and her age.
    Read as a modifier of the card (as in "a cowboy cake topper"), "Mum" and "70th" had gone out
    in clear."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and not all(re.search(rf"\b{word}\b", c) for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt", ["AI restore: my grandfather in his 20s on a fishing boat, 1960", "AI art of my grandma baking bread"]
)
def test_two_capitals_are_an_acronym_not_a_name(prompt: str) -> None:
    """ "AI restore: my grandfather ...": two capitals in a prompt in lower case are an acronym. Read
    as the name "Ai", a person of its own, they had been sent as "Ai" or a decoy "Sam", and "his"
    had varied apart from the grandfather ("my grandfather in her 20s")."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(c.startswith("AI ") for c in cset.candidates), cset.candidates
    assert len(cset) == (6 if " his " in prompt else 2)
    assert_closed(prompt, seed=0)


def test_two_capitals_in_a_name_of_their_own_are_still_a_name() -> None:
    cset = build_candidate_set("portrait of Ai, a girl with a kite", seed=0)
    assert any("Ai" not in c for c in cset.candidates)


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        ("Spice Girls reunion tour poster, glitter", "Spice Girls"),
        ("Beach Boys album cover style, surf, sunshine", "Beach Boys"),
        ("Pet Shop Boys concert, lasers, a woman dancing", "Pet Shop Boys"),
    ],
)
def test_a_bands_name_stays_as_written(prompt: str, name: str) -> None:
    """A capitalised plural person noun after a capitalised noun no list holds names a band or a
    title, as "Wonder Woman" names a character: "Spice Boys" had been a decoy."""
    cset = build_candidate_set(prompt, seed=0)
    assert all(name in c for c in cset.candidates), cset.candidates
    assert_closed(prompt, seed=0)


def test_a_hung_portrait_is_a_thing_only_where_the_place_is_said_empty() -> None:
    """A portrait of a king hanging above the fireplace is a thing in "an empty library"; beside a
    person it may be the user's kin, named, so its person word stays varied."""
    empty = build_candidate_set("an empty library, a portrait of a king hanging above the fireplace", seed=0)
    assert len(empty) == 1
    cset = build_candidate_set("a woman reading under a portrait of a king hanging above the fireplace", seed=0)
    assert any("queen" in c for c in cset.candidates), cset.candidates
    assert_closed("a woman reading under a portrait of a king hanging above the fireplace", seed=0)


def test_a_pronoun_after_a_likeness_noun_is_no_likeness() -> None:
    """ "scarecrows she made": the word before a pronoun makes no likeness of it ("a rusty robot
    grandma" is one); read as the scarecrows', "she" had gone out in clear beside a varied woman."""
    prompt = "(elderly woman:1.2) in a garden full of scarecrows she made, autumn"
    cset = build_candidate_set(prompt, seed=0)
    assert {w for c in cset.candidates for w in re.findall(r"\b(?:he|she)\b", c)} == {"he", "she"}, cset.candidates
    assert_closed(prompt, seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "an old ramen shop in Tokyo at night, neon",
        "Korean ramen, spicy, close up",
        "an old doberman asleep by the fire",
        "a young caiman in the river",
        "an old talisman on a chain",
        'cover art for a playlist called "songs for my sister", cassette',
    ],
)
def test_a_word_ending_like_a_person_noun_that_is_none_names_no_person(prompt: str) -> None:
    """-man, -men and -ist are suffixes of persons only where the word is no WordNet thing, its
    stem an English word, and no list named by one."""
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


@pytest.mark.parametrize(
    ("prompt", "varied"),
    [("a young salaryman asleep on the train", "young"), ("Welsh longbowmen at Agincourt", "Welsh")],
)
def test_a_person_named_by_a_suffix_on_an_english_stem_is_still_one(prompt: str, varied: str) -> None:
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) > 1 and any(varied not in c for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt",
    [
        'a wooden ship\'s figurehead of a mermaid, the name "Lady Anne" carved on the hull',
        'a retro tin toy robot box labeled "Mr. Atomic Man", 1950s, studio photo',
        "((Dallas Cowboys star logo)) painted on the turf, (empty stadium:1.4)",
        "a Dallas Cowboys fan in the stands",
        "Sacramento Kings jersey on a hanger",
        "a mural of Rosie the Riveter on a brick wall, empty street, morning",
        # a name, title or kin word before an award's noun names the award
        "Lady Byng Memorial Trophy in a display case at the Hockey Hall of Fame",
        "the Vince Lombardi Trophy on a pedestal",
        "Mr. Olympia trophy on a stage, smoke machine",
        "the Grandma Moses Award plaque",
        "faded Soviet propaganda poster of a heroic female tractor driver on a peeling wall in an empty flat",
    ],
)
def test_names_of_things_teams_and_pictures_in_an_empty_place_name_no_person(prompt: str) -> None:
    """A title in a quotation after "the name" or "labeled" is a thing's name; a capitalised plural
    of a gender after a capitalised word is a team's; a mural or poster on a wall of a place said
    empty shows no one there."""
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


@pytest.mark.parametrize(
    "prompt",
    [
        "Queen Victoria Building interior in Sydney, stained glass dome, Christmas tree",
        "Queen Mary University campus in autumn, red brick, students' bikes",
    ],
)
def test_a_title_and_name_before_a_capitalised_place_word_name_a_place(prompt: str) -> None:
    """ "Queen Victoria Building": the title and name open a place's proper name, as they open an
    award's ("the Vince Lombardi Trophy"); read as a queen named Victoria, the set had varied her."""
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


@pytest.mark.parametrize(
    "prompt",
    [
        "my son Jack Hall playing in the garden",  # a surname that is a place word too
        "Old Man Walking In The Park",  # title case throughout
        "a portrait of Queen Victoria, museum lighting",  # a lower-case place word
    ],
)
def test_a_person_before_words_of_places_that_name_no_place_is_still_varied(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) > 1


def test_a_name_after_the_before_a_word_of_places_is_the_places() -> None:
    """ "the Charles Bridge": "Charles" had been varied as a man's name beside the boyfriend."""
    prompt = "my boyfriend proposing to me on the Charles Bridge at dawn, candid from a distance"
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 2 and all("the Charles Bridge" in c for c in cset.candidates), cset.candidates


@pytest.mark.parametrize(
    "prompt",
    [
        "a cowboy cake topper on a white cake",
        "a nurse bobblehead on a dashboard",
        "a cowboy wax figure in a museum",
        "roadside muffler man statue holding a giant hot dog, Route 66",
        "Big Boy restaurant mascot statue in the rain at night",
    ],
)
def test_a_person_noun_before_nouns_ending_in_a_likeness_names_a_thing(prompt: str) -> None:
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


def test_a_counted_likeness_of_a_couple_stays_varied_with_the_couple() -> None:
    """ "a two grooms cake topper" is the couple's own: read as a thing in clear, it would tell
    which of the couples is the user's."""
    cset = build_candidate_set("gay couple choosing a two grooms cake topper at a bakery", seed=0)
    assert any("grooms" not in c for c in cset.candidates)


@pytest.mark.parametrize(
    "prompt",
    [
        # an animal or a thing dressed or shaped as a person is a likeness
        "a profile picture of a corgi dressed as a king, flat cartoon",
        "a toby jug shaped like a jolly old sea captain, product render",
        "kawaii sticker of a bao bun dressed as a tiny chinese emperor with a dragon robe",
        "funny birthday card, grumpy grandpa cat wearing a party hat, cartoon style",
        # a meme's name, every person of it replaced; quotations side by side on badges
        "distracted boyfriend meme recreated with three shiba inus, same composition, stock photo look",
        "woman yelling at a cat meme but both sides are cats, one screaming, one at a dinner table",
        'sticker set: "boy mom" "girl mom" "dog mom" text badges with hearts and paw prints, boho',
    ],
)
def test_things_dressed_as_persons_recreated_memes_and_badges_name_no_person(prompt: str) -> None:
    assert build_candidate_set(prompt, seed=0).candidates == (prompt,)


@pytest.mark.parametrize(
    "prompt",
    [
        "the distracted boyfriend meme, photorealistic",
        "a woman recreating the distracted boyfriend meme",
        "distracted boyfriend meme but the girlfriend is a cat",
    ],
)
def test_a_meme_drawn_or_recreated_by_a_person_shows_a_person(prompt: str) -> None:
    assert len(build_candidate_set(prompt, seed=0)) > 1


@pytest.mark.parametrize(
    "prompt",
    [
        "textbook diagram of a flower showing the male and female parts, stamen and pistil labeled",
        "the female and male flowers of a squash plant, macro",
        "young and old trees in a misty forest",
    ],
)
def test_two_modifiers_joined_by_and_share_the_noun_after_them(prompt: str) -> None:
    """ "the male and female parts": "male" has no noun of its own, so it had been read as one ("the
    male"), and varied into "the female and female parts"; the two share "parts", a thing."""
    assert count(prompt) == 1


def test_two_modifiers_joined_by_and_before_a_person_are_still_varied() -> None:
    cset = build_candidate_set("a male and female doctor talking in a corridor", seed=0)
    assert len({c.split()[1] + " " + c.split()[3] for c in cset.candidates}) == 4
    assert_closed("a male and female doctor talking in a corridor", seed=0)


@pytest.mark.parametrize(
    "prompt",
    [
        "black and white portrait of an old man, deep wrinkles",
        "a black & white studio portrait, three generations of women",
        "retired coal miner, white and black portrait, Wales 1985",
    ],
)
def test_black_and_white_is_a_photographs_colours(prompt: str) -> None:
    """ "white" before "portrait" had been read as the sitter's ethnicity: the user's own prompt went
    out as "black and Caucasian portrait", its decoys as "black and Asian portrait"."""
    cset = build_candidate_set(prompt, seed=0)
    pair = re.search(r"black (?:and|&) white|white and black", prompt)
    assert pair is not None
    assert all(pair.group() in c for c in cset.candidates), cset.candidates


def test_black_and_white_persons_are_still_varied() -> None:
    cset = build_candidate_set("a black man and a white woman dancing", seed=0)
    assert not all("white woman" in c for c in cset.candidates)


def test_a_peoples_word_before_language_is_the_languages() -> None:
    """ "a Spanish language teacher" teaches Spanish; the teacher had gone out as "a European
    language teacher", the user's own prompt changed."""
    cset = build_candidate_set("a Spanish language teacher writing on a whiteboard", seed=0)
    assert cset.candidates == ("a Spanish language teacher writing on a whiteboard",)


@pytest.mark.parametrize(
    "prompt",
    [
        "make me a bday invite for my twins 1st birthday, dinosaurs theme, no people just dinos",
        "Grandma Moses style folk painting of a snowy farm, barns and sleds, no figures",
        "Mother of Dragons inspired throne, iron, dragon skulls, concept art, no people --ar 16:9 --v 6",
    ],
)
def test_no_people_before_a_parameter_or_just_and_no_figures_say_that_no_one_is_there(prompt: str) -> None:
    """ "no people" had to end its tag with a comma or a bracket: before a Midjourney parameter or
    "just ...", and "no figures", it was not read, and the set varied persons nobody draws."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1 and cset.true_prompt == prompt


@pytest.mark.parametrize(
    "prompt", ["a Tim Burton film still of a woman in a graveyard", "a girl in a Wes Anderson movie, pastel palette"]
)
def test_a_director_named_before_film_or_movie_is_left_as_written(prompt: str) -> None:
    """A surname that is a first name too ("Burton", "Anderson") had kept the director's name from
    being read as one, and the user's own candidate had read "a Tim James film"."""
    cset = build_candidate_set(prompt, seed=0)
    name = "Tim Burton" if "Tim" in prompt else "Wes Anderson"
    assert all(name in c for c in cset.candidates)
    assert cset.true_prompt == prompt


@pytest.mark.parametrize(
    "prompt",
    [
        "A mother elephant shelters her calf from the midday sun. The baby presses close against her leg.",
        "make a birthday card that says Happy 60th Uncle Joe!!! with balloons",
    ],
)
def test_an_animals_young_after_the_and_a_name_on_a_card_name_no_one(prompt: str) -> None:
    """ "The baby" after an animal's mother, with no person before, is her young; a card "that says
    Happy 60th Uncle Joe" holds a name in title case with a number among its words. Both had been
    varied as persons (N = 16 and 2)."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1 and cset.true_prompt == prompt


def test_the_baby_after_an_animal_and_a_person_is_still_a_person() -> None:
    assert len(build_candidate_set("A mother elephant and a man. The baby cries.", seed=0)) > 1


def test_a_likeness_face_after_its_possessive_is_no_person() -> None:
    """WordNet knows "face" as a person too ("a new face"); after "the doll's" it is the doll's, and
    "her glass eyes" then the doll's (N = 2 before)."""
    prompt = "A porcelain doll sits on a dusty shelf. The doll's painted face is cracked, and her glass eyes shine."
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1 and cset.true_prompt == prompt
    assert len(build_candidate_set("a woman's face, her eyes closed", seed=0)) > 1
    # a word that only modifies the likeness is no person before it
    kokeshi = "A Japanese kokeshi doll sits on a lacquered shelf next to a bonsai. Her painted smile is tiny."
    assert len(build_candidate_set(kokeshi, seed=0)) == 1


@pytest.mark.parametrize(
    "prompt",
    [
        "empty locker room with WOMEN painted on the door in big letters, steam, dim light",
        "a biker jacket with MOM embroidered on the back, studio shot",
        "Cake topper that says Mrs & Mrs in gold script on a three tier white cake, no figurines",
    ],
)
def test_capitals_written_on_a_thing_are_text(prompt: str) -> None:
    """Capitals before the verb that wrote them ("WOMEN painted on the door"), and titles joined by
    "&" after "says", are what a thing says: the second "Mrs" of "Mrs & Mrs" had been varied."""
    cset = build_candidate_set(prompt, seed=0)
    assert len(cset) == 1 and cset.true_prompt == prompt


def test_a_person_painted_is_still_a_person() -> None:
    """After an article the capitals name who is painted."""
    assert len(build_candidate_set("a MAN painted on a wall in a mural", seed=0)) > 1
