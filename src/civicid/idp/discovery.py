"""The provider's metadata (OpenID Connect Discovery 1.0 §3; RFC 8414), built for an issuer URL."""

from __future__ import annotations

from typing import Any

from civicid.idp.keys import ALGORITHMS
from civicid.idp.levels import ACR_VALUES
from civicid.idp.scopes import SCOPES, claims_of

PREFIX = "/idp"


def metadata(issuer: str) -> dict[str, Any]:
    """Every REQUIRED field of Discovery §3, and what a client needs to use this provider's rules."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}{PREFIX}/authorize",
        "token_endpoint": f"{issuer}{PREFIX}/token",
        "userinfo_endpoint": f"{issuer}{PREFIX}/userinfo",
        "jwks_uri": f"{issuer}{PREFIX}/jwks",
        "end_session_endpoint": f"{issuer}{PREFIX}/logout",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(ACR_VALUES),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "at_hash",
            *claims_of(" ".join(SCOPES)),
        ],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["vi", "en"],
    }
