"""The accent colour: parsed, checked against WCAG 2.2 AA, and darkened for hover.

The accent is the background of the primary buttons (white text on it) and
the colour of links (on the white page), so both uses are the same pair:
the accent against white. WCAG 2.2 SC 1.4.3 asks 4.5:1 for normal text.
"""

import re

MINIMUM_CONTRAST = 4.5
WHITE = (255, 255, 255)
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def normalise_colour(value: str) -> str | None:
    """`#0a58ca` from `0A58CA`, `#0a58ca` or `#05c` (short form); None if not a hex colour."""
    found = _HEX.fullmatch(value.strip())
    if not found:
        return None
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return "#" + digits


def rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.removeprefix("#")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(channels: tuple[int, int, int]) -> float:
    """WCAG 2.2's relative luminance (its definition, sRGB linearised)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(channel) for channel in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_with_white(colour: str) -> float:
    return contrast_ratio(rgb(colour), WHITE)


def darken(colour: str, amount: float = 0.15) -> str:
    """The colour mixed with `amount` of black: the hover and active shade
    (darker, so its contrast with white only grows)."""
    return "#" + "".join(f"{round(channel * (1 - amount)):02x}" for channel in rgb(colour))


def colour_problem(value: str) -> str | None:
    """Why `value` cannot be the accent, in English (for checks), or None."""
    colour = normalise_colour(value)
    if colour is None:
        return f"{value!r} is not a colour like #0a58ca"
    ratio = contrast_with_white(colour)
    if ratio < MINIMUM_CONTRAST:
        return f"{colour} has a contrast of {ratio:.2f}:1 with white; WCAG AA needs {MINIMUM_CONTRAST}:1"
    return None
