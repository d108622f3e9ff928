"""The scopes a service may ask for, and the claims each one releases (shown on the consent page)."""

from __future__ import annotations

#: scope → the claims it releases at the UserInfo endpoint (OpenID Connect Core §5.4; ``id_number`` is ours).
SCOPES: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "birthdate", "gender"),
    "phone": ("phone_number", "phone_number_verified"),
    "civicid.id_number": ("id_number",),
}


def claims_of(scope: str) -> list[str]:
    """The claims a space-separated scope string releases, in catalogue order."""
    asked = set(scope.split())
    return [claim for name, claims in SCOPES.items() if name in asked for claim in claims]
