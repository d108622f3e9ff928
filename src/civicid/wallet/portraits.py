"""The holder's portrait on the e-ID card: a thumbnail of the one captured at level-2 enrollment.

The issue stage hands the application's compressed portrait over with its documents; the wallet
keeps a thumbnail of at most :data:`THUMBNAIL_SIZE` pixels, re-encoded as JPEG by Pillow (which
drops any metadata), sealed with AES-256-GCM under a key derived from the master key
(``core/keystore.py`` ``portrait_key``), with the holder and the media type as associated data. The
simulator's drawn portraits are small SVG drawings that Pillow cannot read: they are kept as they
are when small enough, and served as ``image/svg+xml`` under a policy that runs nothing
(docs/decisions/0037-documents-by-reference.md).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from civicid.biometrics.cipher import AesGcmTemplateCipher
from civicid.core.keystore import Keystore, master_key_from_environment
from civicid.wallet import repository

THUMBNAIL_SIZE = (200, 250)  # width, height: the card's photo, 4:5 like ICAO's 35×45 mm
QUALITY = 80
JPEG = "image/jpeg"
SVG = "image/svg+xml"
SVG_MAX_BYTES = 16 * 1024
#: The policy an SVG portrait is served under: no script, no fetch, nothing but its own shapes.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@dataclass(frozen=True)
class Portrait:
    media_type: str
    image: bytes


class PortraitVault:
    """Seals portraits for the table and opens them again, under the deployment's portrait key."""

    def __init__(self, key: bytes) -> None:
        self._cipher = AesGcmTemplateCipher(key)

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> PortraitVault:
        return cls(Keystore.open(data_dir, master_key_from_environment()).portrait_key())

    def seal(self, person_id: int, portrait: Portrait) -> bytes:
        return self._cipher.seal(portrait.image, associated_data=_bound(person_id, portrait.media_type))

    def open(self, person_id: int, media_type: str, sealed: bytes) -> Portrait:
        return Portrait(media_type, self._cipher.open(sealed, associated_data=_bound(person_id, media_type)))


def thumbnail(image: bytes) -> Portrait | None:
    """The card's thumbnail of a captured portrait; None for anything that is not a picture we keep."""
    if image.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return Portrait(SVG, image) if len(image) <= SVG_MAX_BYTES else None
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    picture.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return Portrait(JPEG, out.getvalue())


@dataclass(frozen=True)
class PortraitHandover:
    person_id: int
    source: str
    image: bytes


def store_portraits(
    *, session: Session, vault: PortraitVault, handovers: Sequence[PortraitHandover], now: dt.datetime
) -> list[tuple[int, str]]:
    """Keep each holder's latest portrait (a later application's replaces an earlier one).

    Returns (holder, source) of the portraits kept; one that is no picture is left out.
    """
    rows: list[dict[str, Any]] = []
    for handover in handovers:
        portrait = thumbnail(handover.image)
        if portrait is None:
            continue
        rows.append(
            {
                "person_id": handover.person_id,
                "media_type": portrait.media_type,
                "sealed": vault.seal(handover.person_id, portrait),
                "source": handover.source,
                "stored_at": now,
            }
        )
    repository.upsert_portraits(session, rows)
    return [(r["person_id"], r["source"]) for r in rows]


def _bound(person_id: int, media_type: str) -> bytes:
    return f"civicid-wallet-portrait/1:{person_id}:{media_type}".encode("ascii")
