"""Fingerprint 1:1 between two applications' captured images, for the adjudicating supervisor.

A suspected duplicate is found by face (1:N); the supervisor deciding it is helped by a second,
independent modality. The ``fingerprint_images`` part of a packet holds a scanner's images, joined
length-prefixed by the field kit (``civicid.field.sources.join_fingerprint_images``: 4-byte
big-endian size, then the image). Fingers are captured in a fixed order, so image i of one
application is compared with image i of the other; the best pair decides, and every pair's score
is kept for the page. Needs the matcher extra (:mod:`civicid.biometrics.nbis_finger`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.nbis_finger import MATCH_THRESHOLD, NbisFingerprintVerifier, nbis_available
from civicid.biometrics.ports import MinutiaeVerifier

MAX_FINGERS = 10


@dataclass(frozen=True)
class FingerScore:
    """One finger position compared: its score, or None when a side had no readable print."""

    position: int
    score: float | None


@dataclass(frozen=True)
class FingerprintComparison:
    """The result shown at adjudication: best score over finger positions, on the matcher's scale."""

    model: str
    model_version: str
    threshold: float
    fingers: tuple[FingerScore, ...]

    @property
    def best(self) -> float | None:
        scores = [f.score for f in self.fingers if f.score is not None]
        return max(scores) if scores else None

    @property
    def is_match(self) -> bool:
        best = self.best
        return best is not None and best >= self.threshold


def split_images(joined: bytes) -> list[bytes]:
    """The images of a ``fingerprint_images`` part; ValueError when the framing is broken."""
    images: list[bytes] = []
    offset = 0
    while offset < len(joined):
        if offset + 4 > len(joined):
            raise ValueError("a fingerprint image's length prefix is cut short")
        size = int.from_bytes(joined[offset : offset + 4], "big")
        offset += 4
        if offset + size > len(joined):
            raise ValueError("a fingerprint image is cut short")
        images.append(joined[offset : offset + size])
        offset += size
    return images


def compare_images(
    first: bytes, second: bytes, *, verifier: MinutiaeVerifier, threshold: float = MATCH_THRESHOLD
) -> FingerprintComparison:
    """Compare two ``fingerprint_images`` parts finger by finger (position i with position i)."""
    pairs = list(zip(split_images(first)[:MAX_FINGERS], split_images(second)[:MAX_FINGERS], strict=False))
    fingers = tuple(FingerScore(i + 1, _score(verifier, a, b)) for i, (a, b) in enumerate(pairs))
    return FingerprintComparison(verifier.model, verifier.model_version, threshold, fingers)


def _score(verifier: MinutiaeVerifier, first: bytes, second: bytes) -> float | None:
    try:
        return verifier.score(verifier.extract(first), verifier.extract(second))
    except ExtractionFailed:
        return None


@functools.cache
def installed_verifier() -> MinutiaeVerifier | None:
    """The NBIS verifier when the extra is installed (built once per process), else None."""
    if not nbis_available():
        return None
    return NbisFingerprintVerifier()
