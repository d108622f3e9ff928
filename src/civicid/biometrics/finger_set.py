"""One person's ten fingers as minutiae templates: what a kit sends first, before the images.

The kit reads each scanner image with NBIS mindtct (``nbis_finger.py``) and sends the ISO/IEC
19794-2:2005 minutiae records at priority 0 (a few hundred bytes a finger), so that the server's
dedup can confirm or clear face candidates without waiting for the images; the images follow at
priority 1 for the adjudicating supervisor. A finger that could not be captured is recorded with
its reason (worn prints of manual workers and elders, an amputation, a bandage), never silently
left out. Finger positions are ISO/IEC 19794-4's codes: 1 right thumb … 5 right little, 6 left
thumb … 10 left little.

Format ``civicid-finger-set/1``: canonical-enough JSON (sorted keys), records in base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import MinutiaeTemplate, MinutiaeVerifier

FORMAT = "civicid-finger-set/1"
POSITIONS = tuple(range(1, 11))
MIN_MINUTIAE = 12
"""Fewer minutiae than this and a print is "damaged": bozorth3 cannot score it reliably (NBIS guide)."""
GOOD_MINUTIAE = 40
"""A print with this many minutiae or more gets quality 1.0 (the minutiae count stands in for NFIQ 2)."""
MAX_DOCUMENT_BYTES = 64 * 1024


class MissingReason(StrEnum):
    """Why a finger position has no template."""

    NOT_CAPTURED = "not_captured"  # the operator could not scan it (bandage, pain, refusal)
    AMPUTATED = "amputated"
    WORN = "worn"  # worn or scarred ridges: manual workers, elders
    DAMAGED = "damaged"  # scanned, but too few minutiae were found


@dataclass(frozen=True)
class FingerEntry:
    """One finger position: its template and quality, or why there is none."""

    position: int
    template: MinutiaeTemplate | None
    quality: float | None = None
    missing: MissingReason | None = None


@dataclass(frozen=True)
class FingerSet:
    """The fingers of one capture, by position."""

    entries: tuple[FingerEntry, ...]

    @property
    def templates(self) -> dict[int, MinutiaeTemplate]:
        return {e.position: e.template for e in self.entries if e.template is not None}

    @property
    def missing(self) -> dict[int, MissingReason]:
        return {e.position: e.missing for e in self.entries if e.missing is not None}


def read_fingers(
    images: Sequence[bytes | None], *, verifier: MinutiaeVerifier, missing_reason: MissingReason | None
) -> FingerSet:
    """Minutiae of each image in position order; an absent image is missing for ``missing_reason``.

    A print with too few minutiae is kept out as :attr:`MissingReason.DAMAGED`; quality is the
    minutiae count over :data:`GOOD_MINUTIAE`, capped at 1 (NFIQ 2 is not in the wheel's build).
    """
    if len(images) > len(POSITIONS):
        raise ExtractionFailed(f"at most {len(POSITIONS)} fingerprint images")
    entries: list[FingerEntry] = []
    for position in POSITIONS:
        image = images[position - 1] if position <= len(images) else None
        if not image:
            entries.append(FingerEntry(position, None, missing=missing_reason or MissingReason.NOT_CAPTURED))
            continue
        try:
            template = verifier.extract(image)
        except ExtractionFailed:
            entries.append(FingerEntry(position, None, missing=MissingReason.DAMAGED))
            continue
        if template.minutiae < MIN_MINUTIAE:
            entries.append(FingerEntry(position, None, missing=MissingReason.DAMAGED))
            continue
        entries.append(FingerEntry(position, template, quality=min(1.0, template.minutiae / GOOD_MINUTIAE)))
    return FingerSet(tuple(entries))


def encode(fingers: FingerSet) -> bytes:
    """The ``civicid-finger-set/1`` document."""
    document = {
        "format": FORMAT,
        "fingers": [_entry_json(e) for e in fingers.entries],
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def decode(data: bytes) -> FingerSet:
    """Parse a ``civicid-finger-set/1`` document; :class:`ExtractionFailed` when it is not one."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ExtractionFailed("the finger set is too large")
    try:
        document = json.loads(data)
        if document["format"] != FORMAT:
            raise ExtractionFailed(f"not a {FORMAT} document")
        entries = tuple(_entry(e) for e in document["fingers"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ExtractionFailed(f"not a {FORMAT} document") from exc
    positions = [e.position for e in entries]
    if len(set(positions)) != len(positions) or not set(positions) <= set(POSITIONS):
        raise ExtractionFailed("finger positions must be distinct, 1 to 10")
    return FingerSet(entries)


def is_finger_set(data: bytes) -> bool:
    return data[:64].lstrip().startswith(b"{") and f'"format":"{FORMAT}"'.encode() in data[:4096]


def _entry_json(entry: FingerEntry) -> dict[str, object]:
    if entry.template is None:
        return {"position": entry.position, "missing": (entry.missing or MissingReason.NOT_CAPTURED).value}
    template = entry.template
    return {
        "position": entry.position,
        "model": template.model,
        "model_version": template.model_version,
        "minutiae": template.minutiae,
        "quality": round(entry.quality or 0.0, 3),
        "record": base64.b64encode(template.record).decode(),
    }


def _entry(raw: dict[str, object]) -> FingerEntry:
    position = int(str(raw["position"]))
    if "missing" in raw:
        return FingerEntry(position, None, missing=MissingReason(str(raw["missing"])))
    template = MinutiaeTemplate(
        model=str(raw["model"]),
        model_version=str(raw["model_version"]),
        record=base64.b64decode(str(raw["record"]), validate=True),
        minutiae=int(str(raw["minutiae"])),
    )
    quality = float(str(raw["quality"]))
    if not 0.0 <= quality <= 1.0:
        raise ValueError("quality is in [0, 1]")
    return FingerEntry(position, template, quality=quality)
