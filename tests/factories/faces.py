"""Real portraits for the real face model: the vendored photos and their documented degradations.

The photos live in ``tests/biometrics/faces/`` with their licences (README.md there). Nothing is
downloaded at run time. Mated samples are made from them by the transforms below (a crop, a small
rotation, a change of light, a lower JPEG quality), which is how ``docs/benchmarks.md`` "Real faces"
measures the genuine scores too.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

FACES = Path(__file__).resolve().parent.parent / "biometrics" / "faces"
#: Three photos of one person, and one photo each of two others.
SAME_PERSON = ("obama-1", "obama-2", "obama-3")
OTHERS = ("biden", "collins")


def portrait(name: str) -> bytes:
    """A vendored photo's bytes (``obama-1`` … ``collins``, ``no-face``)."""
    return (FACES / f"{name}.jpg").read_bytes()


def _jpeg(picture: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def transformed(name: str, how: str) -> bytes:
    """A mated sample of a photo: ``crop`` (10 % off each side), ``rotate`` (6°), ``light`` (×1.3),
    ``jpeg`` (quality 40); or a degradation the kit must refuse: ``blur``, ``dark``, ``bright``,
    ``tilt`` (25°), ``far`` (the face small in a large frame)."""
    with Image.open(FACES / f"{name}.jpg") as opened:
        picture = opened.convert("RGB")
    width, height = picture.size
    if how == "crop":
        return _jpeg(picture.crop((width // 10, height // 10, width - width // 10, height - height // 10)))
    if how == "rotate":
        return _jpeg(picture.rotate(6, resample=Image.Resampling.BILINEAR))
    if how == "light":
        return _jpeg(ImageEnhance.Brightness(picture).enhance(1.3))
    if how == "jpeg":
        return _jpeg(picture, quality=40)
    if how == "blur":
        return _jpeg(picture.filter(ImageFilter.GaussianBlur(3)))
    if how == "dark":
        return _jpeg(ImageEnhance.Brightness(picture).enhance(0.3))
    if how == "bright":
        return _jpeg(ImageEnhance.Brightness(picture).enhance(2.5))
    if how == "tilt":
        return _jpeg(picture.rotate(25, expand=True))
    if how == "far":
        frame = Image.new("RGB", (1200, 900), (200, 200, 200))
        frame.paste(picture.resize((width * 2 // 3, height * 2 // 3)), (500, 300))
        return _jpeg(frame)
    raise ValueError(f"unknown transform {how!r}")


def two_faces(first: str = "obama-1", second: str = "biden") -> bytes:
    """Two people side by side in one photo: the kit must refuse it."""
    with Image.open(FACES / f"{first}.jpg") as a, Image.open(FACES / f"{second}.jpg") as b:
        frame = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), (210, 210, 210))
        frame.paste(a.convert("RGB"), (0, 0))
        frame.paste(b.convert("RGB"), (a.width, 0))
    return _jpeg(frame)
