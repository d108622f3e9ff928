"""Errors of the country profile.

Each names the exact fault in an extension so that callers (API problem documents, the CLI) can say
what is wrong without parsing the message.
"""

from __future__ import annotations

from civicid.core.errors import CivicIDError


class InvalidIdNumber(CivicIDError):
    """A 12-digit personal identification number that breaks Decree 137/2015 Art 13.

    Extension ``fault``: ``length``, ``non_digit``, ``unknown_province``, ``birth_year_in_future``,
    ``century_sex_mismatch`` or ``birth_year_mismatch``.
    """

    code = "invalid_id_number"
    title = "Invalid personal identification number"
    status = 422


class InvalidCardQr(CivicIDError):
    """Text from a chip card's QR code that cannot be read.

    Extensions ``field`` (the field at fault) and ``fault``.
    """

    code = "invalid_card_qr"
    title = "Invalid card QR text"
    status = 422


class InvalidMrz(CivicIDError):
    """A machine-readable zone (ICAO 9303 TD1) that is malformed or fails its check digits.

    Extensions ``fault`` (``check_digit`` or the structural fault) and ``failing_checks`` (the names of
    the check digits that fail, empty for a structural fault).
    """

    code = "invalid_mrz"
    title = "Invalid machine-readable zone"
    status = 422


class InvalidDateOfBirth(CivicIDError):
    """A date of birth after the date it is measured against."""

    code = "invalid_date_of_birth"
    title = "Invalid date of birth"
    status = 422


class UnknownAdministrativeUnit(CivicIDError):
    """A province or commune code absent from the 2025 list (Decision 19/2025/QĐ-TTg)."""

    code = "unknown_administrative_unit"
    title = "Unknown administrative unit"
    status = 404
