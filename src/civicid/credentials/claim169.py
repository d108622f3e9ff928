"""MOSIP Claim 169: the identity data of the e-ID QR, in the registered CWT claim 169.

The map's keys are the specification's (MOSIP "169 QR Code Specification", as the ``claim169``
library reads them): 1 ID, 4 full name, 8 date of birth (``YYYY-MM-DD``), 9 gender (1 male,
2 female, 3 other), 16 photo (bytes) with 17 its format (1 JPEG, 2 JPEG 2000, 3 AVIF, 4 WebP).
CivicID writes only these; the holder chooses which (:data:`FIELDS`). Sex is the country's code
(``country/sex.py``), mapped to the specification's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

ID, FULL_NAME, DATE_OF_BIRTH, GENDER, PHOTO, PHOTO_FORMAT = 1, 4, 8, 9, 16, 17
PHOTO_JPEG, PHOTO_WEBP = 1, 4
_GENDER = {"male": 1, "female": 2, "other": 3}
_SEX = {code: sex for sex, code in _GENDER.items()}
_PHOTO_TYPES = {PHOTO_JPEG: "image/jpeg", 2: "image/jp2", 3: "image/avif", PHOTO_WEBP: "image/webp"}

#: The fields the holder may disclose, by the names the API and the verdict use.
FIELDS = ("id_number", "full_name", "date_of_birth", "sex", "photo")


@dataclass(frozen=True)
class Identity:
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: str  # "male", "female" or "other"
    photo: bytes | None = None  # a small WebP or JPEG thumbnail
    photo_format: int = PHOTO_WEBP


def claim_169(identity: Identity, fields: Collection[str]) -> dict[int, Any]:
    """The Claim 169 map of the chosen ``fields`` of ``identity``."""
    claim: dict[int, Any] = {}
    if "id_number" in fields:
        claim[ID] = identity.id_number
    if "full_name" in fields:
        claim[FULL_NAME] = identity.full_name
    if "date_of_birth" in fields:
        claim[DATE_OF_BIRTH] = identity.date_of_birth.isoformat()
    if "sex" in fields and identity.sex in _GENDER:
        claim[GENDER] = _GENDER[identity.sex]
    if "photo" in fields and identity.photo:
        claim[PHOTO], claim[PHOTO_FORMAT] = identity.photo, identity.photo_format
    return claim


def disclosed(claim: Mapping[Any, Any]) -> dict[str, Any]:
    """What a verified Claim 169 map says, by name; unknown keys and values of the wrong type are left out."""
    out: dict[str, Any] = {}
    for key, name in ((ID, "id_number"), (FULL_NAME, "full_name"), (DATE_OF_BIRTH, "date_of_birth")):
        if isinstance(claim.get(key), str):
            out[name] = claim[key]
    if claim.get(GENDER) in _SEX:
        out["sex"] = _SEX[claim[GENDER]]
    if isinstance(claim.get(PHOTO), bytes):
        out["photo"] = {"media_type": _PHOTO_TYPES.get(claim.get(PHOTO_FORMAT, 0), "application/octet-stream")}
    return out
