"""Procedural 64×64 portraits drawn with Pillow from an attribute dict.

Every sensitive attribute is carried by large regions that survive the VAE's 8× down-sampling:
gender by hair length and face shape, age by hair colour (dark, grey, white) plus wrinkles,
skin tone by the fill colour of face and neck.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from obclip.world.attributes import WORLD_ATTRIBUTES, Attributes

SIZE = 64
_SCALE = 2  # drawn at 128×128, box-filtered down to 64×64 for anti-aliased edges

Color = tuple[int, int, int]

BACKGROUND_RGB: dict[str, Color] = {
    "red": (205, 45, 45),
    "blue": (45, 80, 205),
    "green": (50, 160, 70),
    "yellow": (235, 205, 50),
    "purple": (135, 60, 175),
}
CLOTHING_RGB: dict[str, Color] = {
    "red": (190, 25, 40),
    "blue": (30, 60, 170),
    "green": (30, 130, 50),
    "white": (240, 240, 240),
    "black": (25, 25, 30),
}
SKIN_RGB: dict[str, Color] = {
    "light": (250, 218, 188),
    "medium": (196, 140, 90),
    "dark": (100, 62, 38),
}
HAIR_RGB: dict[str, Color] = {
    "young": (40, 26, 18),
    "middle-aged": (135, 135, 140),
    "old": (245, 245, 245),
}
OUTLINE: Color = (20, 16, 14)


def _jitter(color: Color, rng: random.Random | None, amount: int) -> Color:
    if rng is None:
        return color
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in color)  # type: ignore[return-value]


def _darker(color: Color, factor: float) -> Color:
    return tuple(int(c * factor) for c in color)  # type: ignore[return-value]


def render(attrs: Attributes, rng: random.Random | None = None) -> Image.Image:
    """Draw one portrait (RGB, 64×64).

    Args:
        attrs: a value for every attribute in `WORLD_ATTRIBUTES`.
        rng: source of mild jitter (head position, colours); ``None`` draws the canonical portrait.
            The image is a deterministic function of ``attrs`` and the rng's state.
    """
    for name, attr in WORLD_ATTRIBUTES.items():
        if attrs.get(name) not in attr.values:
            raise ValueError(f"attribute {name!r} must be one of {attr.values}, got {attrs.get(name)!r}")
    s = _SCALE
    dx = rng.randint(-3, 3) if rng else 0
    dy = rng.randint(-2, 2) if rng else 0
    cx, cy = 32 + dx, 26 + dy

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * s, y0 * s, x1 * s, y1 * s]

    bg = _jitter(BACKGROUND_RGB[attrs["background"]], rng, 12)
    shirt = _jitter(CLOTHING_RGB[attrs["clothing"]], rng, 10)
    skin = _jitter(SKIN_RGB[attrs["skin"]], rng, 8)
    hair = _jitter(HAIR_RGB[attrs["age"]], rng, 8)
    female = attrs["gender"] == "female"
    age = attrs["age"]

    img = Image.new("RGB", (SIZE * s, SIZE * s), bg)
    d = ImageDraw.Draw(img)

    # shoulders / shirt
    d.rounded_rectangle(box(cx - 25, 45 + dy / 2, cx + 25, 76), radius=10 * s, fill=shirt, outline=OUTLINE, width=s)
    # long hair falls behind the head onto the shoulders
    if female:
        d.ellipse(box(cx - 17, cy - 19, cx + 17, cy + 8), fill=hair)
        d.rectangle(box(cx - 17, cy - 6, cx + 17, cy + 27), fill=hair)
    # neck
    d.rectangle(box(cx - 5, cy + 8, cx + 5, cy + 21), fill=skin)
    # face: narrow oval (female) or broad, square-jawed (male)
    if female:
        d.ellipse(box(cx - 11, cy - 14, cx + 11, cy + 14), fill=skin)
    else:
        d.rounded_rectangle(box(cx - 13, cy - 14, cx + 13, cy + 13), radius=7 * s, fill=skin)
    # hair on top of the head; men get sideburns so the hair colour shows under a hat
    if female:
        d.chord(box(cx - 15, cy - 19, cx + 15, cy + 1), 180, 360, fill=hair)
    else:
        d.chord(box(cx - 14, cy - 19, cx + 14, cy + 1), 180, 360, fill=hair)
        d.rectangle(box(cx - 14, cy - 10, cx - 10, cy + 3), fill=hair)
        d.rectangle(box(cx + 10, cy - 10, cx + 14, cy + 3), fill=hair)
    # eyebrows (hair colour), eyes, mouth
    brow = hair if age != "young" else _darker(hair, 0.9)
    d.rectangle(box(cx - 8, cy - 6, cx - 3, cy - 4), fill=brow)
    d.rectangle(box(cx + 3, cy - 6, cx + 8, cy - 4), fill=brow)
    d.ellipse(box(cx - 7, cy - 3, cx - 4, cy), fill=OUTLINE)
    d.ellipse(box(cx + 4, cy - 3, cx + 7, cy), fill=OUTLINE)
    mouth = (200, 40, 70) if female else _darker(skin, 0.55)
    d.rectangle(box(cx - 4, cy + 6, cx + 4, cy + 8 if female else cy + 7), fill=mouth)
    # wrinkles: one forehead line in middle age, several lines when old
    line = _darker(skin, 0.55)
    if age in ("middle-aged", "old"):
        d.line(box(cx - 6, cy - 8, cx + 6, cy - 8), fill=line, width=s)
    if age == "old":
        d.line(box(cx - 6, cy - 10, cx + 6, cy - 10), fill=line, width=s)
        d.line(box(cx - 9, cy + 2, cx - 7, cy + 8), fill=line, width=s)
        d.line(box(cx + 9, cy + 2, cx + 7, cy + 8), fill=line, width=s)
    # accessories
    if attrs["accessory"] == "glasses":
        d.ellipse(box(cx - 10, cy - 5, cx - 1, cy + 3), outline=OUTLINE, width=2 * s)
        d.ellipse(box(cx + 1, cy - 5, cx + 10, cy + 3), outline=OUTLINE, width=2 * s)
        d.line(box(cx - 1, cy - 2, cx + 1, cy - 2), fill=OUTLINE, width=2 * s)
    elif attrs["accessory"] == "hat":
        hat = (30, 28, 32)
        d.rectangle(box(cx - 20, cy - 17, cx + 20, cy - 13), fill=hat)
        d.rounded_rectangle(box(cx - 12, cy - 27, cx + 12, cy - 15), radius=3 * s, fill=hat)
        d.rectangle(box(cx - 12, cy - 19, cx + 12, cy - 16), fill=(150, 30, 30))
    return img.resize((SIZE, SIZE), Image.Resampling.BOX)
