"""Portraits: a compressed copy that travels first, the original that may follow (decision 0008).

A camera photo of several megabytes cannot cross a 2G link in a working day; the pipeline and the
card need a face of ID-photo size. The kit sends a JPEG of at most :data:`MAX_SIZE` pixels at
:data:`QUALITY` (about 10–20 KB) at priority 0 and keeps the original for priority 1. Metadata (EXIF,
with the GPS position phones write into photos) is not copied.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from civicid.field.errors import InvalidCapture

MAX_SIZE = (360, 480)  # width, height: ICAO's 35×45 mm portrait at about 260 dpi
QUALITY = 70
MAX_ORIGINAL_BYTES = 12 * 1024 * 1024


def compress_portrait(image: bytes) -> bytes:
    """A JPEG of at most 360×480, upright (EXIF orientation applied), in RGB, without metadata."""
    if len(image) > MAX_ORIGINAL_BYTES:
        raise InvalidCapture(f"the portrait is larger than {MAX_ORIGINAL_BYTES // 1_000_000} MB")
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidCapture("the portrait is not a JPEG, PNG or WebP photo") from exc
    picture.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def is_svg(image: bytes) -> bool:
    """The simulator's drawn portraits are tiny SVGs; they travel as they are."""
    return image.lstrip()[:5] in (b"<svg ", b"<?xml")
