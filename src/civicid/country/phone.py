"""Phone numbers as the country writes them: Vietnam's 10-digit mobile numbers, or +84 and 9 digits."""

from __future__ import annotations

import re

# Vietnamese mobile numbers: 10 digits starting with 0, or +84 followed by 9 digits.
_PHONE = re.compile(r"^(0\d{9}|\+84\d{9})$")


def normalise_phone(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    compact = re.sub(r"[\s.-]", "", value)
    if not _PHONE.match(compact):
        raise ValueError("phone number must be 10 digits starting with 0, or +84 and 9 digits")
    return "0" + compact[3:] if compact.startswith("+84") else compact
