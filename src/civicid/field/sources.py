"""Where a capture's biometric inputs come from: the kit's camera and scanner adapters.

``BiometricSource`` is the port; the composition (``civicid/plugins.py``) picks the adapter. What it
returns is what the server's extractors read (``enrollment/runtime.py``):

- :class:`CameraSource` — real captures (decision 0059). The portrait from the camera or a file is
  checked on the kit, offline, before "saved" (``biometrics/portrait_quality.py``: one face, large
  enough, frontal, exposed, sharp); the face part points at the compressed portrait part, from which
  the server extracts its dlib template (the server never trusts a template a kit computed); the fingers
  part is the scanner images' NBIS minutiae (``biometrics/finger_set.py``), a few hundred bytes a
  finger, so that dedup can use them before the images arrive.
- :class:`SimulatedSource` — the simulator's captures (``biometrics/simulated.py``), naming the
  registry person: chosen explicitly by the demo, the tests and the benchmarks, whose residents have
  drawn portraits; every page that shows its captures says "simulated".
- :func:`read_fingerprint_images` — fingerprint images from files a scanner's own software wrote.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from civicid.biometrics import finger_set
from civicid.biometrics.finger_set import MissingReason
from civicid.biometrics.nbis_finger import NbisFingerprintVerifier, nbis_available
from civicid.biometrics.portrait_quality import PortraitChecker, PortraitQuality
from civicid.biometrics.simulated import simulated_capture
from civicid.field.errors import InvalidCapture
from civicid.field.portrait import is_svg
from civicid.protocol.packet import FACE_IN_PORTRAIT


class BiometricSource(Protocol):
    """The kit's biometric adapter: checks a portrait, and makes the face and finger parts of a packet."""

    @property
    def simulated(self) -> bool: ...

    def check_portrait(self, portrait: bytes) -> PortraitQuality | None:
        """The quality of a real portrait; None when this source does not check (the simulator's drawings)."""
        ...

    def face(self, person_id: int, attempt: int, portrait: bytes) -> bytes: ...

    def fingers(
        self, person_id: int, attempt: int, images: Sequence[bytes | None], missing: MissingReason | None
    ) -> bytes: ...


@dataclass(frozen=True)
class SimulatedSource:
    """The simulator's captures of the registry person being enrolled (the portrait is not read)."""

    simulated: bool = True

    def check_portrait(self, portrait: bytes) -> PortraitQuality | None:
        return None

    def face(self, person_id: int, attempt: int, portrait: bytes) -> bytes:
        return simulated_capture(person_id, attempt, "face")

    def fingers(
        self, person_id: int, attempt: int, images: Sequence[bytes | None], missing: MissingReason | None
    ) -> bytes:
        return simulated_capture(person_id, attempt, "finger")


@dataclass
class CameraSource:
    """Real captures: the portrait checked with dlib, fingerprints read with NBIS, both on the kit."""

    simulated: bool = False
    checker: PortraitChecker = field(default_factory=PortraitChecker)

    def check_portrait(self, portrait: bytes) -> PortraitQuality | None:
        if is_svg(portrait):
            raise InvalidCapture("a drawing is not a portrait: take a photo", field="portrait")
        return self.checker.check(portrait)

    def face(self, person_id: int, attempt: int, portrait: bytes) -> bytes:
        # The server reads the face from the compressed portrait, which travels first anyway.
        return FACE_IN_PORTRAIT

    def fingers(
        self, person_id: int, attempt: int, images: Sequence[bytes | None], missing: MissingReason | None
    ) -> bytes:
        verifier = _verifier()
        if verifier is None:
            # No matcher on this platform (nbis-py has no wheel for it): every finger is recorded as such.
            images = ()
            missing = MissingReason.NOT_CAPTURED
        elif len([i for i in images if i]) < len(finger_set.POSITIONS) and missing is None:
            raise InvalidCapture("say why fingers are missing (worn, amputated, not captured)", field="missing_fingers")
        fingers = finger_set.read_fingers(list(images), verifier=verifier, missing_reason=missing) if verifier else None
        if fingers is None:
            fingers = finger_set.FingerSet(
                tuple(finger_set.FingerEntry(p, None, missing=missing) for p in finger_set.POSITIONS)
            )
        return finger_set.encode(fingers)


@functools.cache
def _verifier() -> NbisFingerprintVerifier | None:
    return NbisFingerprintVerifier() if nbis_available() else None


def read_fingerprint_images(paths: list[Path]) -> bytes:
    """Fingerprint images from files, joined length-prefixed (4-byte big-endian size, then the bytes)."""
    return join_fingerprint_images(path.read_bytes() for path in paths)


def join_fingerprint_images(images: Iterable[bytes]) -> bytes:
    """Images already in memory (uploaded on the kit's capture page), joined as :func:`read_fingerprint_images` does."""
    out = bytearray()
    for data in images:
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)
