"""The logo: what an upload is, read from its bytes (never from its name or
the browser's Content-Type), and how big it is.

PNG and JPEG only. SVG is refused: it is a document that can carry scripts
(served from the site's origin it needs a sandbox to be safe), and Gmail and
Outlook do not display SVG images in email at all, so an SVG logo would be
missing from every email the brand sends.
"""

import struct
from dataclasses import dataclass

MAX_LOGO_BYTES = 512 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, ...), which carry the size.
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class NotAnImage(ValueError):
    """The bytes are not a PNG or JPEG image this site serves."""


@dataclass(frozen=True)
class Image:
    content_type: str
    extension: str
    width: int
    height: int


def _png(data: bytes) -> Image:
    # The first chunk is IHDR: length, type, then width and height.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise NotAnImage("a PNG without its header")
    width, height = struct.unpack(">II", data[16:24])
    return Image("image/png", "png", width, height)


def _jpeg(data: bytes) -> Image:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise NotAnImage("a damaged JPEG")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in JPEG_FRAMES:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return Image("image/jpeg", "jpg", width, height)
        position += 2 + length
    raise NotAnImage("a JPEG without its size")


def identify(data: bytes) -> Image:
    """What the logo is; raises `NotAnImage` for anything but a PNG or JPEG."""
    if len(data) > MAX_LOGO_BYTES:
        raise NotAnImage(f"larger than {MAX_LOGO_BYTES // 1024} KB")
    if data.startswith(PNG_SIGNATURE):
        image = _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        image = _jpeg(data)
    else:
        raise NotAnImage("not a PNG or JPEG image")
    if not (0 < image.width <= 10000 and 0 < image.height <= 10000):
        raise NotAnImage("an image without a sensible size")
    return image
