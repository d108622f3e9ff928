"""Implementations of :class:`~civicid.wallet.ports.DocumentAuthority`: the simulated agencies.

Real agencies' APIs are later adapters behind the same port; the composition chooses (``civicid/plugins.py``).
"""

from __future__ import annotations

import re

from civicid.wallet.models import DocumentKind
from civicid.wallet.ports import Confirmation

# What each agency's numbers look like: the simulated agency confirms every well-formed number.
NUMBER_FORMATS: dict[DocumentKind, re.Pattern[str]] = {
    # Driving licence (PET card): 12 digits.
    DocumentKind.DRIVING_LICENCE: re.compile(r"^\d{12}$"),
    # Health-insurance card: a 2-letter category, a benefit level 1 to 5, then 10 to 12 digits.
    DocumentKind.HEALTH_INSURANCE: re.compile(r"^[A-Z]{2}[1-5]\d{10,12}$"),
    # Vehicle plate: province code, series letter(s) and digit, then 4 or 5 digits ("29A1-123.45").
    DocumentKind.VEHICLE_REGISTRATION: re.compile(r"^\d{2}[A-Z]{1,2}\d?-\d{3}(\.\d{2}|\d)$"),
    # Social-insurance number: 10 digits.
    DocumentKind.SOCIAL_INSURANCE: re.compile(r"^\d{10}$"),
    # Tax code: 10 digits (and a 3-digit branch), or the 12-digit personal ID number.
    DocumentKind.TAX: re.compile(r"^(\d{10}(-\d{3})?|\d{12})$"),
}
LICENCE_CLASSES = frozenset({"A1", "A2", "A3", "A4", "A", "B1", "B2", "B", "C1", "C", "D1", "D2", "D", "E", "F"})


class SimulatedDocumentAuthority:
    """Deterministic agencies for the demo and tests: well-formed numbers are confirmed, others refused."""

    def confirm(self, *, kind: DocumentKind, number: str, extra: dict[str, str] | None, id_number: str) -> Confirmation:
        if not NUMBER_FORMATS[kind].match(number):
            return Confirmation(False, "number_malformed")
        licence_class = (extra or {}).get("class")
        if kind is DocumentKind.DRIVING_LICENCE and licence_class is not None and licence_class not in LICENCE_CLASSES:
            return Confirmation(False, "licence_class_unknown")
        return Confirmation(True)
