"""The photo pipeline: every uploaded picture passes through here before anyone else sees it.

Two steps. `check_upload` is cheap (header only) and runs while the farmer waits, so a bad file
gets an immediate, specific error. `clean_image` decodes, fixes orientation, drops every piece of
metadata (EXIF GPS positions of farms must never reach shoppers), re-encodes and makes thumbnails;
it runs on a Celery task and trusts nothing `check_upload` said.
"""

import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"}
OUTPUT_FORMAT = "JPEG"
OUTPUT_QUALITY = 85


class ImageRejected(Exception):
    """A file we will not process; `code` is the API error code, `message` is for the person."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass
class CheckedImage:
    format: str
    width: int
    height: int


@dataclass
class CleanImage:
    original: bytes
    width: int
    height: int
    thumbnails: dict[str, bytes] = field(default_factory=dict)


def check_upload(data: bytes) -> CheckedImage:
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise ImageRejected(
            "IMAGE_TOO_LARGE",
            _("The photo is larger than %(limit)d MB. Please choose a smaller photo.")
            % {"limit": settings.IMAGE_MAX_BYTES // (1024 * 1024)},
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = img.format, img.size
            _check_pixels(width, height)
            if fmt not in ACCEPTED_FORMATS:
                raise ImageRejected(
                    "INVALID_IMAGE", _("This kind of picture is not supported; please use JPEG or PNG.")
                )
            img.verify()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("INVALID_IMAGE", _("This file is not a picture, or it is damaged.")) from exc
    return CheckedImage(fmt, width, height)


def clean_image(data: bytes) -> CleanImage:
    check_upload(data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)
            rgb = _to_rgb(upright)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("INVALID_IMAGE", _("This file is not a picture, or it is damaged.")) from exc
    # Rebuild from raw pixels so that no EXIF, XMP, ICC or comment can ride along.
    bare = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    result = CleanImage(original=_encode(bare), width=bare.width, height=bare.height)
    for name, longest_side in settings.IMAGE_THUMBNAIL_SIZES.items():
        thumb = bare.copy()
        thumb.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
        result.thumbnails[name] = _encode(thumb)
    return result


def _check_pixels(width: int, height: int) -> None:
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _too_many_pixels()


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        "IMAGE_TOO_MANY_PIXELS",
        _("The photo has more than %(limit)d million pixels. Please use a smaller photo.")
        % {"limit": settings.IMAGE_MAX_PIXELS // 1_000_000},
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _encode(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, OUTPUT_FORMAT, quality=OUTPUT_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
