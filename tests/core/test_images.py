"""The photo pipeline in `core.images`: limits, verification, orientation, metadata stripping, thumbnails.

The pictures are built here, in memory: a JPEG carrying the kind of metadata a phone writes (GPS
position, camera make and model, orientation, a comment, XMP and an ICC profile), PNGs with alpha,
and bilevel PNGs written by hand so that a 50-megapixel picture or a decompression bomb costs a few
kilobytes and never has to be drawn.
"""

import io
import math
import os
import struct
import zlib

import pytest
from django.conf import settings
from django.utils import translation
from PIL import ExifTags, Image, ImageFile

from core.images import ImageRejected, check_upload, clean_image

GPS_LATITUDE = ((25, 1), (3, 1), (61, 2))  # 25° 3' 30.5" N: where the farm is
GPS_LONGITUDE = ((102, 1), (42, 1), (61, 4))  # 102° 42' 15.25" E
CAMERA_MAKE = "FarmCam"
CAMERA_MODEL = "Hillside-9000"
COMMENT = b"orchard behind the Li family house"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>25,3.5N</exif:GPSLatitude></x:xmpmeta>'
ICC = b"not-really-an-icc-profile-but-it-rides-along"

# Metadata must not survive as bytes either: the GPS rationals as they sit in the EXIF block.
GPS_RATIONAL_BYTES = [struct.pack(f"{order}6I", *(n for pair in GPS_LATITUDE for n in pair)) for order in ("<", ">")]
METADATA_LEAKS = [b"Exif\x00\x00", CAMERA_MAKE.encode(), CAMERA_MODEL.encode(), COMMENT, b"xmpmeta", ICC]

# JPEG markers a bare re-encoded picture may carry: SOI, EOI, APP0 (JFIF), DQT, SOF0-2, DHT, DRI, SOS.
BARE_JPEG_MARKERS = {0xD8, 0xD9, 0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA}


# --- Builders ---------------------------------------------------------------------------------


def phone_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.ImageDescription] = "harvest day"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)  # tag 0x8825
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = tuple(n / d for n, d in GPS_LATITUDE)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = tuple(n / d for n, d in GPS_LONGITUDE)
    return exif


def top_red_picture(size: tuple[int, int]) -> Image.Image:
    """Red top half, blue bottom half: after a quarter turn the red ends up on one side."""
    width, height = size
    img = Image.new("RGB", size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, width, height // 2))
    return img


def phone_jpeg(size=(64, 48), orientation=6) -> bytes:
    out = io.BytesIO()
    top_red_picture(size).save(
        out, "JPEG", quality=95, exif=phone_exif(orientation), comment=COMMENT, xmp=XMP, icc_profile=ICC
    )
    return out.getvalue()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def bilevel_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG, written row by row: a few KB even for hundreds of megapixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def encoded(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """Every marker segment of a JPEG (skipping the entropy-coded scan data), with its payload."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found, pos = [(0xD8, b"")], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at byte {pos}"
        while data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            found.append((marker, b""))
            return found
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        found.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:  # scan data runs to the next marker that is neither stuffing nor a restart
            while not (data[pos] == 0xFF and data[pos + 1] != 0 and not 0xD0 <= data[pos + 1] <= 0xD7):
                pos += 1


def assert_bare_jpeg(data: bytes) -> Image.Image:
    """A JPEG with no metadata at all: nothing in Pillow's view, nothing in the segments, nothing in the bytes."""
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert img.mode == "RGB"
    assert dict(img.getexif()) == {}
    assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "icc_profile", "comment", "xmp", "photoshop", "adobe"):
        assert key not in img.info, f"{key} survived"
    markers = jpeg_markers(data)
    assert {marker for marker, _ in markers} <= BARE_JPEG_MARKERS, [hex(m) for m, _ in markers]
    headers = b"".join(payload for marker, payload in markers if marker != 0xDA)
    assert b"\x88\x25" not in headers and b"\x25\x88" not in headers, "GPSInfo IFD tag in the headers"
    for leak in METADATA_LEAKS + GPS_RATIONAL_BYTES:
        assert leak not in data, f"{leak!r} in the output"
    return img


def assert_human_sentence(message) -> None:
    """A whole sentence for the farmer, in whatever language is active: no exception text, no codes."""
    text = str(message)
    if any("\u4e00" <= char <= "\u9fff" for char in text):  # Chinese
        assert text.endswith("。") and len(text) >= 8, text
    else:
        assert text[:1].isupper() and text.endswith("."), text
        assert " " in text and len(text) > 20, text
    for jargon in ("Error", "PIL", "Traceback", "cannot identify", "bomb", "errno", "0x", "<", "_"):
        assert jargon not in text, text


def rejected(function, data: bytes) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        function(data)
    assert_human_sentence(info.value.message)
    assert str(info.value) == str(info.value.message)
    return info.value


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if any picture is decoded: limits must be enforced from the header alone."""

    def forbidden(self, *args, **kwargs):
        raise AssertionError(f"decoded the pixels of a {self.size[0]}x{self.size[1]} picture")

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)
    monkeypatch.setattr(Image.Image, "load", forbidden)


# --- The builders make what they say ----------------------------------------------------------


def test_the_phone_jpeg_really_carries_gps_and_camera_metadata():
    img = Image.open(io.BytesIO(phone_jpeg()))
    exif = img.getexif()
    assert exif[ExifTags.Base.Orientation] == 6
    assert exif[ExifTags.Base.Make] == CAMERA_MAKE
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert [float(v) for v in gps[ExifTags.GPS.GPSLatitude]] == [25.0, 3.0, 30.5]
    assert [float(v) for v in gps[ExifTags.GPS.GPSLongitude]] == [102.0, 42.0, 15.25]
    assert {"exif", "comment", "icc_profile", "xmp"} <= set(img.info)
    assert any(leak in phone_jpeg() for leak in GPS_RATIONAL_BYTES)


def test_bilevel_png_builder_makes_real_pictures():
    data = bilevel_png(100, 80)
    assert check_upload(data).width == 100
    assert clean_image(data).height == 80


# --- Cleaning ---------------------------------------------------------------------------------


def test_gps_and_all_metadata_are_stripped_and_orientation_applied():
    cleaned = clean_image(phone_jpeg(size=(64, 48), orientation=6))

    img = assert_bare_jpeg(cleaned.original)
    # Orientation 6 means "turn a quarter clockwise to show it": the 64x48 picture stands up.
    assert img.size == (48, 64)
    assert (cleaned.width, cleaned.height) == (48, 64)
    # ...and the pixels turned, not just the header: the top (red) half is now on the right.
    right, left = img.getpixel((40, 32)), img.getpixel((7, 32))
    assert right[0] > 200 and right[2] < 60, right
    assert left[2] > 200 and left[0] < 60, left
    for name, data in cleaned.thumbnails.items():
        thumb = assert_bare_jpeg(data)
        assert thumb.size == (48, 64), name


def test_picture_without_orientation_keeps_its_shape():
    cleaned = clean_image(phone_jpeg(size=(64, 48), orientation=1))
    img = assert_bare_jpeg(cleaned.original)
    assert img.size == (64, 48)
    top = img.getpixel((32, 5))
    assert top[0] > 200 and top[2] < 60, top


@pytest.mark.parametrize(("width", "height"), [(1200, 900), (600, 1500), (1030, 1030)])
def test_thumbnails_at_three_sizes_keep_the_aspect(width, height):
    cleaned = clean_image(encoded(Image.linear_gradient("L").resize((width, height)).convert("RGB"), "PNG"))

    assert set(cleaned.thumbnails) == {"small", "medium", "large"}
    assert settings.IMAGE_THUMBNAIL_SIZES == {"small": 160, "medium": 480, "large": 1024}
    assert Image.open(io.BytesIO(cleaned.original)).size == (width, height)
    for name, longest in settings.IMAGE_THUMBNAIL_SIZES.items():
        thumb = assert_bare_jpeg(cleaned.thumbnails[name])
        w, h = thumb.size
        assert max(w, h) == min(longest, max(width, height)), (name, thumb.size)
        # The short side is the original's, scaled by the same factor (to the pixel).
        scale = max(w, h) / max(width, height)
        assert math.isclose(min(w, h), min(width, height) * scale, abs_tol=1), (name, thumb.size)
        assert (w >= h) == (width >= height)


def test_small_picture_is_never_enlarged():
    cleaned = clean_image(phone_jpeg(size=(64, 48), orientation=1))
    assert {name: Image.open(io.BytesIO(data)).size for name, data in cleaned.thumbnails.items()} == {
        "small": (64, 48),
        "medium": (64, 48),
        "large": (64, 48),
    }


def test_png_with_alpha_becomes_rgb_jpeg_on_white():
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # left half fully transparent
    img.paste((200, 30, 30, 255), (20, 0, 40, 20))
    exif = phone_exif(orientation=1)
    data = encoded(img, "PNG", exif=exif, pnginfo=_png_text("Location", "25.0583N 102.7042E"))
    assert "exif" in Image.open(io.BytesIO(data)).info

    cleaned = clean_image(data)

    out = assert_bare_jpeg(cleaned.original)
    assert out.size == (40, 20)
    assert b"102.7042E" not in cleaned.original
    assert min(out.getpixel((5, 10))) > 240  # transparent → white, not black
    red = out.getpixel((35, 10))
    assert red[0] > 170 and red[1] < 70 and red[2] < 70, red


def _png_text(key: str, value: str):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize("mode", ["P", "L", "LA", "CMYK", "I;16"])
def test_other_modes_become_rgb(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    data = encoded(Image.new("RGB", (30, 20), (10, 150, 90)).convert(mode), fmt)
    cleaned = clean_image(data)
    assert Image.open(io.BytesIO(cleaned.original)).mode == "RGB"


# --- Rejections -------------------------------------------------------------------------------


def test_text_file_is_not_a_picture():
    data = "这不是照片 — just a shopping list\n".encode() * 20
    for function in (check_upload, clean_image):
        assert rejected(function, data).code == "INVALID_IMAGE"


def test_empty_file_is_not_a_picture():
    assert rejected(check_upload, b"").code == "INVALID_IMAGE"


def test_truncated_jpeg_is_rejected_when_processed():
    noise = encoded(Image.effect_noise((300, 200), 80).convert("RGB"), "JPEG")
    truncated = noise[: len(noise) // 2]
    # The header is intact, so the quick check lets it through (JPEG has nothing to verify()
    # without decoding); decoding finds the damage.
    assert check_upload(truncated).format == "JPEG"
    assert rejected(clean_image, truncated).code == "INVALID_IMAGE"


def test_jpeg_without_its_scan_is_rejected():
    data = phone_jpeg(orientation=1)
    broken = data[: data.index(b"\xff\xda")] + b"\xff\xd9"  # all headers, no picture
    assert rejected(clean_image, broken).code == "INVALID_IMAGE"


@pytest.mark.parametrize("damage", ["truncated", "bad_crc"])
def test_damaged_png_fails_verify_at_once(damage):
    data = encoded(Image.effect_noise((120, 90), 60), "PNG")
    idat = data.index(b"IDAT")
    if damage == "truncated":
        data = data[: idat + 100]
    else:
        data = data[: idat + 10] + bytes([data[idat + 10] ^ 0xFF]) + data[idat + 11 :]
    assert rejected(check_upload, data).code == "INVALID_IMAGE"
    assert rejected(clean_image, data).code == "INVALID_IMAGE"


def test_unsupported_format_is_rejected():
    data = encoded(Image.new("RGB", (20, 20)), "TIFF")
    error = rejected(check_upload, data)
    assert error.code == "INVALID_IMAGE"
    assert "JPEG" in str(error.message)  # says what to use instead


def test_over_ten_megabytes_is_too_large():
    assert settings.IMAGE_MAX_BYTES == 10 * 1024 * 1024
    # A real picture (random noise does not compress), only too heavy: 1.9k x 1.9k RGB ≈ 10.8 MB.
    side = 1900
    data = encoded(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), "PNG", compress_level=1)
    assert len(data) > settings.IMAGE_MAX_BYTES
    for function in (check_upload, clean_image):
        error = rejected(function, data)
        assert error.code == "IMAGE_TOO_LARGE"
        assert "10 MB" in str(error.message)  # the limit, in the farmer's terms


def test_size_limit_is_inclusive():
    picture = phone_jpeg(orientation=1)
    at_limit = picture + b"\x00" * (settings.IMAGE_MAX_BYTES - len(picture))
    assert len(at_limit) == settings.IMAGE_MAX_BYTES
    assert check_upload(at_limit).format == "JPEG"
    assert rejected(check_upload, at_limit + b"\x00").code == "IMAGE_TOO_LARGE"


def test_fifty_megapixel_png_is_rejected_without_decoding(no_pixel_decoding):
    data = bilevel_png(7072, 7072)  # 50,013,184 pixels in about 10 KB
    assert len(data) < 100_000
    for function in (check_upload, clean_image):
        error = rejected(function, data)
        assert error.code == "IMAGE_TOO_MANY_PIXELS"
        assert "40" in str(error.message)


def test_pixel_limit_is_inclusive(no_pixel_decoding):
    assert settings.IMAGE_MAX_PIXELS == 40_000_000
    assert check_upload(bilevel_png(8000, 5000)).width == 8000  # exactly 40 MP
    assert rejected(check_upload, bilevel_png(8000, 5001)).code == "IMAGE_TOO_MANY_PIXELS"


def test_decompression_bomb_is_rejected_not_a_crash(no_pixel_decoding):
    # Past twice Pillow's own limit Image.open() raises DecompressionBombError by itself.
    side = math.isqrt(2 * Image.MAX_IMAGE_PIXELS) + 1000
    bomb = bilevel_png(side, side)
    assert side * side > 2 * Image.MAX_IMAGE_PIXELS
    assert len(bomb) < 200_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))
    for function in (check_upload, clean_image):
        assert rejected(function, bomb).code == "IMAGE_TOO_MANY_PIXELS"


def test_header_claiming_a_huge_size_is_rejected():
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)  # 3.6 gigapixels of RGB, no data
    lie = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")
    for function in (check_upload, clean_image):
        assert rejected(function, lie).code == "IMAGE_TOO_MANY_PIXELS"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "INVALID_IMAGE": "This file is not a picture, or it is damaged.",
                "IMAGE_TOO_LARGE": "The photo is larger than 10 MB. Please choose a smaller photo.",
                "IMAGE_TOO_MANY_PIXELS": "The photo has more than 40 million pixels. Please use a smaller photo.",
            },
        ),
        ("zh-hans", None),  # Chinese first: the farmer reads Chinese
    ],
)
def test_messages_are_sentences_in_the_farmers_language(language, expected):
    picture = phone_jpeg(orientation=1)
    bad = {
        "INVALID_IMAGE": b"hello, not a picture",
        "IMAGE_TOO_LARGE": picture + b"\x00" * settings.IMAGE_MAX_BYTES,
        "IMAGE_TOO_MANY_PIXELS": bilevel_png(7072, 7072),
    }
    with translation.override(language):  # a message may be lazy: read it in the same language
        errors = {code: rejected(check_upload, data) for code, data in bad.items()}
        messages = {code: str(error.message) for code, error in errors.items()}
    assert {code: error.code for code, error in errors.items()} == {code: code for code in bad}
    if expected is not None:
        assert messages == expected
    else:
        for text in messages.values():
            assert any("\u4e00" <= char <= "\u9fff" for char in text), f"not translated: {text}"
