"""Where a capture's biometric inputs come from: the kit's scanner and camera adapters.

``BiometricSource`` is the port. What it returns is what the server's extractors read
(``enrollment/runtime.py``): with the simulated biometrics of the demo and the tests, a simulated
capture naming the person; with the ``face`` extra on the server, the face image itself. The
portrait photo comes from the page (camera or file) and is not this port's business.

- :class:`SimulatedSource` — the simulator's captures (``biometrics/simulated.py``): what a kit in
  the demo and the tests uses, and a stand-in wherever no scanner is attached.
- :func:`read_fingerprint_images` — fingerprint images from files a scanner's own software wrote;
  the images travel at priority 1 for adjudication, the templates come from the simulated source
  until a real offline minutiae extractor is wired in (no maintained one installs from PyPI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from civicid.biometrics.simulated import simulated_capture


class BiometricSource(Protocol):
    def face(self, person_id: int, attempt: int) -> bytes: ...

    def fingers(self, person_id: int, attempt: int) -> bytes: ...


@dataclass(frozen=True)
class SimulatedSource:
    """The simulator's captures of the registry person being enrolled."""

    def face(self, person_id: int, attempt: int) -> bytes:
        return simulated_capture(person_id, attempt, "face")

    def fingers(self, person_id: int, attempt: int) -> bytes:
        return simulated_capture(person_id, attempt, "finger")


def read_fingerprint_images(paths: list[Path]) -> bytes:
    """Fingerprint images from files, joined length-prefixed (4-byte big-endian size, then the bytes)."""
    return join_fingerprint_images(path.read_bytes() for path in paths)


def join_fingerprint_images(images: Iterable[bytes]) -> bytes:
    """Images already in memory (uploaded on the kit's capture page), joined as :func:`read_fingerprint_images` does."""
    out = bytearray()
    for data in images:
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)
