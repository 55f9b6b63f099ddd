"""The share poster (分享海报): a phone-sized PNG of a product (its photo, name, price and village)
with a QR code of the viewer's own share link, for shoppers to send to friends or post in a chat.

Chinese text needs a CJK font, which Pillow does not ship: POSTER_FONT names one, or the usual
places of Noto Sans CJK (Debian's fonts-noto-cjk) are searched. Without one, `poster_png` raises
FontMissing instead of drawing boxes where the characters should be.

Only public facts of the product are drawn: never the farmer's name, phone or ID number."""

import functools
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP

import segno
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from core.image_models import ImageStatus
from core.money import FEN

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 750, 1200
MARGIN = 40
PHOTO_HEIGHT = 560
BAND_HEIGHT = 240  # the bottom card with the QR code
QR_SIZE = 200
CACHE_SECONDS = 24 * 3600

PAPER = (251, 247, 239)
INK = (34, 34, 34)
GREY = (107, 107, 107)
RED = (200, 55, 45)
GREEN = (47, 93, 52)
CARD = (255, 255, 255)
PLACEHOLDER = (233, 226, 211)

# Where distributions put Noto Sans CJK: Debian/Ubuntu (fonts-noto-cjk), Fedora, Arch, Alpine.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
)
# A character every CJK font has, and one no font maps (plane 16 private use): a font whose
# rendering of the first is that of the second draws boxes for Chinese.
CJK_PROBE = "村"
NO_GLYPH = "\U0010fffd"


class FontMissing(Exception):
    """No usable CJK font: the poster cannot be drawn legibly."""


def find_font() -> str | None:
    """The CJK font to draw with: POSTER_FONT when set (and only it, so a wrong path is noticed),
    else the first of FONT_CANDIDATES that draws Chinese; None when there is none."""
    configured = settings.POSTER_FONT
    candidates = (configured,) if configured else FONT_CANDIDATES
    return next((path for path in candidates if _face_index(path) is not None), None)


def _face_index(path: str) -> int | None:
    """The face of the font file to use (the Simplified Chinese one of a collection), or None when
    the file is missing, not a font, or has no Chinese. Looked at again when the file changes, so
    a font installed after start-up is found without a restart."""
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _face_index_of(path, modified)


@functools.lru_cache(maxsize=16)
def _face_index_of(path: str, modified: int) -> int | None:
    chosen = None
    for index in range(16):  # a collection's faces, in order; a single font has only face 0
        try:
            font = ImageFont.truetype(path, 32, index=index)
        except OSError:
            break
        if not has_glyph(font, CJK_PROBE):
            continue
        if chosen is None:
            chosen = index
        family = font.getname()[0] or ""
        if family.endswith(" SC"):
            return index
    return chosen


def has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """Whether the font draws `char` itself rather than its missing-glyph box (or nothing)."""
    drawn = _rendering(font, char)
    return bool(drawn.getbbox()) and drawn.tobytes() != _rendering(font, NO_GLYPH).tobytes()


def _rendering(font, char: str) -> Image.Image:
    size = int(font.size * 1.5)
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).text((size // 6, 0), char, font=font, fill=255)
    return image


def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    index = _face_index(path)
    if index is None:
        raise FontMissing(path)
    return ImageFont.truetype(path, size, index=index)


def _bold_path(path: str) -> str:
    """The bold sibling of a Noto file when installed (fonts-noto-cjk has both), else the same."""
    bold = path.replace("Regular", "Bold")
    return bold if bold != path and _face_index(bold) is not None else path


# --- What the poster says ------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterContent:
    name: str
    price: str
    place: str
    caption: str
    note: str
    brand: str
    share_url: str
    photo: object | None  # a processed photo's FieldFile, or None for the placeholder

    def digest(self) -> str:
        """Changes whenever anything drawn changes (a price, a new first photo, the language)."""
        parts = [self.name, self.price, self.place, self.caption, self.note, self.brand, self.share_url]
        parts.append(self.photo.name if self.photo else "")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def yuan(amount) -> str:
    return f"¥{amount.quantize(FEN, rounding=ROUND_HALF_UP):,}"


def price_text(product) -> str:
    """The lowest price; "¥12.80 起" when the sizes are priced differently."""
    prices = {variant.price for variant in product.variants.all()}
    lowest = product.min_price if product.min_price is not None else min(prices)
    if len(prices) > 1:
        return _("from %(price)s") % {"price": yuan(lowest)}
    return yuan(lowest)


def place_text(village) -> str:
    return f"{village.county.province.name} · {village.county.name} · {village.name}"


def first_photo(product):
    """The first processed photo's best rendition for a 670-pixel-wide frame, or None."""
    images = getattr(product, "ready_images", None)
    if images is None:
        images = list(product.images.filter(status=ImageStatus.READY).order_by("position", "id")[:1])
    for image in images:
        for rendition in ("large", "original", "medium"):
            file = getattr(image, rendition)
            if file:
                return file
    return None


def poster_content(product, share_url: str) -> PosterContent:
    """The poster's words in the active language, from the product's public facts only."""
    return PosterContent(
        name=product.name,
        price=price_text(product),
        place=place_text(product.village),
        caption=_("Press and hold to scan the QR code"),
        note=_("and see these goods from the village"),
        brand=_("Shanhuo"),
        share_url=share_url,
        photo=first_photo(product),
    )


# --- Making the PNG ------------------------------------------------------------------------------


def poster_png(product, link, share_url: str) -> bytes:
    """The PNG for this product and share link, drawn once and then taken from the cache until the
    product or anything drawn on it changes. Raises FontMissing without a CJK font."""
    font = find_font()
    if font is None:
        raise FontMissing(settings.POSTER_FONT or "Noto Sans CJK")
    content = poster_content(product, share_url)
    key = cache_key(product, link, content)
    png = cache.get(key)
    if png is None:
        png = draw_poster(content, font)
        cache.set(key, png, CACHE_SECONDS)
    return png


def cache_key(product, link, content: PosterContent) -> str:
    return ":".join(
        [
            "promotion:poster",
            str(product.pk),
            str(int(product.updated_at.timestamp() * 1_000_000)),
            link.token,
            translation.get_language() or "",
            content.digest(),
        ]
    )


def draw_poster(content: PosterContent, font_path: str) -> bytes:
    """Photo on top, then the name, the price and the village, and a card with the QR code."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(poster)
    inner = WIDTH - 2 * MARGIN
    bold = _bold_path(font_path)

    _paste_rounded(poster, _photo(content.photo, (inner, PHOTO_HEIGHT), load_font(bold, 96)), (MARGIN, MARGIN), 24)

    y = MARGIN + PHOTO_HEIGHT + 32
    name_font = load_font(bold, 46)
    for line in wrap(draw, content.name, name_font, inner, max_lines=2):
        draw.text((MARGIN, y), line, font=name_font, fill=INK)
        y += 62
    y += 8
    price_font = load_font(bold, 54)
    draw.text((MARGIN, y), content.price, font=price_font, fill=RED)
    y += 78
    place_font = load_font(font_path, 28)
    for line in wrap(draw, content.place, place_font, inner, max_lines=1):
        draw.text((MARGIN, y), line, font=place_font, fill=GREY)

    top = HEIGHT - MARGIN - BAND_HEIGHT
    draw.rounded_rectangle((MARGIN, top, WIDTH - MARGIN, HEIGHT - MARGIN), radius=20, fill=CARD)
    pad = (BAND_HEIGHT - QR_SIZE) // 2
    poster.paste(qr_image(content.share_url, QR_SIZE), (WIDTH - MARGIN - pad - QR_SIZE, top + pad))

    text_width = inner - QR_SIZE - 3 * pad
    x, y = MARGIN + pad + 8, top + pad + 6
    caption_font = load_font(bold, 34)
    for line in wrap(draw, content.caption, caption_font, text_width, max_lines=2):
        draw.text((x, y), line, font=caption_font, fill=INK)
        y += 48
    note_font = load_font(font_path, 26)
    for line in wrap(draw, content.note, note_font, text_width, max_lines=1):
        draw.text((x, y + 4), line, font=note_font, fill=GREY)
    brand_font = load_font(bold, 30)
    draw.text((x, top + BAND_HEIGHT - pad - 40), content.brand, font=brand_font, fill=GREEN)

    out = io.BytesIO()
    poster.save(out, "PNG", optimize=True)
    return out.getvalue()


def qr_image(url: str, size: int) -> Image.Image:
    """The QR code of `url` in whole pixels per module (crisp to scan), centred in a white square
    with a quiet zone."""
    code = segno.make(url, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=2)[0]
    scale = max(1, size // modules)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=2)
    buffer.seek(0)
    drawn = Image.open(buffer).convert("RGB")
    square = Image.new("RGB", (size, size), CARD)
    square.paste(drawn, ((size - drawn.width) // 2, (size - drawn.height) // 2))
    return square


def _photo(file, size: tuple[int, int], font) -> Image.Image:
    """The photo cropped to fill the frame, or a plain placeholder with the shop's name when there
    is none (or its file cannot be read: the poster is still worth sending)."""
    if file is not None:
        try:
            with file.open("rb") as opened:
                photo = Image.open(opened)
                photo.load()
            return ImageOps.fit(ImageOps.exif_transpose(photo).convert("RGB"), size, Image.Resampling.LANCZOS)
        except (OSError, ValueError):
            logger.warning("poster: cannot read photo %s; drawing the placeholder", file.name, exc_info=True)
    placeholder = Image.new("RGB", size, PLACEHOLDER)
    draw = ImageDraw.Draw(placeholder)
    draw.text((size[0] // 2, size[1] // 2), _("Shanhuo"), font=font, fill=(200, 189, 166), anchor="mm")
    return placeholder


def _paste_rounded(poster: Image.Image, image: Image.Image, at: tuple[int, int], radius: int) -> None:
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, image.width - 1, image.height - 1), radius=radius, fill=255)
    poster.paste(image, at, mask)


def wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of at most `width` pixels, broken between characters (Chinese has no spaces; a Latin
    word is kept whole when it fits on a line), the last one ended with … when text is left over."""
    words = _breakable(" ".join(text.split()))
    lines, line = [], ""
    for word in words:
        candidate = line + word
        if line and draw.textlength(candidate.rstrip(), font=font) > width:
            lines.append(line.rstrip())
            line = word.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) <= max_lines:
        return [_fit(draw, line, font, width) for line in lines]
    kept = lines[:max_lines]
    kept[-1] = _fit(draw, kept[-1] + "…", font, width, ellipsis=True)
    return kept


def _breakable(text: str) -> list[str]:
    """Chinese characters one by one, Latin words (with their following space) whole."""
    pieces, word = [], ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            pieces.append(word)
            word = ""
        if char.isspace() and pieces:
            pieces[-1] += char
        elif not char.isspace():
            pieces.append(char)
    if word:
        pieces.append(word)
    return pieces


def _fit(draw, line: str, font, width: int, ellipsis: bool = False) -> str:
    """Shorten a line that is still too wide (one very long word) until it fits, ending with …."""
    if draw.textlength(line, font=font) <= width:
        return line
    body = line[:-1] if ellipsis else line
    while body and draw.textlength(body + "…", font=font) > width:
        body = body[:-1]
    return body.rstrip() + "…"
