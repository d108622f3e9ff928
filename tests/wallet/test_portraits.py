"""The e-ID card's portrait: a small JPEG thumbnail of the enrollment photo (the simulator's drawings
as they are), sealed to its holder under the portrait key."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civicid.biometrics.cipher import TemplateSealBroken
from civicid.core.crypto import generate_master_key
from civicid.sim.captures import portrait_svg
from civicid.sim.field import synthetic_photo
from civicid.wallet.portraits import JPEG, SVG, SVG_MAX_BYTES, THUMBNAIL_SIZE, Portrait, PortraitVault, thumbnail


def test_a_camera_photo_becomes_a_small_jpeg_without_metadata() -> None:
    photo = synthetic_photo(3)  # 1200×1600, as a phone's camera gives it
    small = thumbnail(photo)
    assert small is not None
    assert small.media_type == JPEG
    assert len(small.image) < len(photo) // 10
    with Image.open(io.BytesIO(small.image)) as picture:
        assert picture.format == "JPEG"
        assert picture.width <= THUMBNAIL_SIZE[0]
        assert picture.height == THUMBNAIL_SIZE[1]  # 3:4, so the height is what limits it
        assert not picture.getexif()


def test_the_simulators_drawings_are_kept_as_they_are_and_anything_else_is_left_out() -> None:
    drawing = portrait_svg(42)
    assert thumbnail(drawing) == Portrait(SVG, drawing)
    assert thumbnail(b"<svg " + b" " * SVG_MAX_BYTES + b"/>") is None
    assert thumbnail(b"not a picture") is None


def test_a_sealed_portrait_opens_only_for_its_holder() -> None:
    vault = PortraitVault(generate_master_key())
    portrait = Portrait(JPEG, b"\xff\xd8 jpeg bytes")
    sealed = vault.seal(7, portrait)
    assert portrait.image not in sealed
    assert vault.open(7, JPEG, sealed) == portrait
    with pytest.raises(TemplateSealBroken):
        vault.open(8, JPEG, sealed)  # moved to another holder's row
    with pytest.raises(TemplateSealBroken):
        vault.open(7, SVG, sealed)
