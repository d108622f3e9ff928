"""The recipes' errors: one opaque error per recipe, in the manner of ``cryptography``'s Fernet.

They say *that* an operation failed, never *why* (which byte, which check): a reason would help an
attacker probe the format, and callers can do nothing different with it. The capability that calls a
recipe translates its error into a domain error (:class:`civicid.core.errors.CivicIDError`) that says
what to do.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of the recipes' errors."""


class InvalidSignature(CryptoError):
    """A JWS is malformed, not ES256, of another type, or its signature does not verify."""


class InvalidSeal(CryptoError):
    """A sealed message does not open: wrong key, wrong associated data, altered, truncated or unknown version."""


class InvalidKey(CryptoError):
    """A key given from outside (a JWK, a master key) is not of the expected kind or is malformed."""


class InvalidWrappedKey(CryptoError):
    """A wrapped private key does not unwrap: wrong master key, wrong name, altered or unknown version."""
