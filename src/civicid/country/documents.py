"""The documents a citizen can integrate into the e-ID, each owned by one of the country's issuing agencies.

Form TK01 lists them at level-2 enrollment and the wallet shows one section each (DOMAIN.md "The
document wallet"): a country fact that the packet format, the wallet and the agencies share.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    """Documents the citizen asks to integrate into the e-ID (wallet)."""

    DRIVING_LICENCE = "driving_licence"
    HEALTH_INSURANCE = "health_insurance"
    VEHICLE_REGISTRATION = "vehicle_registration"
    SOCIAL_INSURANCE = "social_insurance"
    TAX = "tax"
