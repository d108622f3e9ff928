"""The registry's card portraits, as a deployment exports them from the national population database.

CivicID's registry holds no photos: the card photos live in the national database, outside it. A
deployment that has them puts an export in one folder, one file per person named by the ID number
(``001090012345.jpg`` or ``.png``), and names the folder in ``CIVICID_REGISTRY_PORTRAITS_DIR``; level 1's
selfie is then matched against these photos with the real face model (``plugins.face_check``,
decision 0052). Without the folder the simulator's drawn portraits stand in, and say so.
"""

from __future__ import annotations

from pathlib import Path

MAX_PORTRAIT_BYTES = 5 * 1024 * 1024
SUFFIXES = (".jpg", ".jpeg", ".png")


class PortraitFolder:
    """``accounts.ports.RegistryPortraits`` on a folder of card photos named by ID number."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def portrait(self, *, person_id: int, id_number: str) -> bytes | None:
        """The person's card photo, or ``None`` when the export has none (or the number is not a number)."""
        if not (id_number.isascii() and id_number.isdigit()):
            return None  # never a path built from anything but digits
        for suffix in SUFFIXES:
            path = self._folder / f"{id_number}{suffix}"
            if path.is_file() and path.stat().st_size <= MAX_PORTRAIT_BYTES:
                return path.read_bytes()
        return None
