"""SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc) on joserfc: issue, present, verify.

Issued: ``<issuer-signed JWT>~<disclosure>~…~`` (RFC 9901 §4). The JWT (ES256, ``typ: dc+sd-jwt``,
``kid`` the issuer key's, as in the QR) carries ``iss``, ``iat``, ``exp``, ``vct``, the holder's key
(``cnf.jwk``, RFC 7800), the Token Status List reference (``status``) and ``_sd``: the SHA-256
digests of the disclosures (``[salt, name, value]``, §4.2.1) and of a few decoys (§4.2.5), sorted.

Presented: the disclosures the holder chose and a key-binding JWT (§4.3: ``typ: kb+jwt``; ``iat``,
``aud``, ``nonce`` and ``sd_hash``, the digest of everything before it), signed with the device key.

Verified (§7.1 and §7.3), refusing where the reference implementation is lax: the issuer's
signature, ``typ`` and algorithm (ES256 only); ``_sd_alg`` (sha-256 only); every disclosure
well-formed and referenced exactly once (an unreferenced or repeated disclosure, a digest found
twice, a disclosed name that clashes with a plain claim, or a reserved name are refused);
``exp``, ``nbf`` and ``iat``; and, when present or required, the key binding: its signature by the
``cnf`` key, its ``typ``, the freshness of its ``iat``, its ``nonce``, ``aud`` and ``sd_hash``.
Error: :class:`InvalidPresentation`, whose ``reason`` is the verifier's (``verifier.REASONS``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.crypto import InvalidKey, InvalidSignature, jws_kid, load_public_jwk, public_jwk, sign_jws, verify_jws
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.credentials.issuing import SigningKey
from civicid.credentials.status_list import StatusReference
from civicid.credentials.trust_bundle import TrustBundle
from civicid.credentials.verdict import Verdict, status_of

TYP = "dc+sd-jwt"
KB_TYP = "kb+jwt"
SD_ALG = "sha-256"
DECOYS = 3
KB_MAX_AGE = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(seconds=30)
_RESERVED = frozenset({"_sd", "...", "_sd_alg"})
#: What stays in clear in the issuer-signed JWT: what a verifier needs whatever is disclosed (SD-JWT VC §3.2.2).
PLAIN_CLAIMS = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status"})


class InvalidPresentation(Exception):
    """The SD-JWT VC does not verify; ``reason``: bad_signature, malformed, expired, not_yet_valid or key_binding."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSdJwt:
    """A verified presentation: the issuer's key id, the claims (plain and disclosed) and the names disclosed."""

    kid: str
    claims: Mapping[str, Any]
    disclosed: tuple[str, ...]
    key_bound: bool


def digest(text: str) -> str:
    """RFC 9901 §4.2.3: base64url of the SHA-256 of the ASCII text."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


def issue(
    *,
    signer: SigningKey,
    vct: str,
    claims: Mapping[str, Any],
    holder_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    lifetime: dt.timedelta,
    status: StatusReference | None = None,
) -> str:
    """An SD-JWT VC whose every claim in ``claims`` is selectively disclosable, bound to ``holder_key``."""
    disclosures = [
        b64url_encode(json.dumps([b64url_encode(os.urandom(16)), name, value], ensure_ascii=False).encode())
        for name, value in claims.items()
    ]
    digests = [digest(d) for d in disclosures] + [b64url_encode(os.urandom(32)) for _ in range(DECOYS)]
    iat = int(now.timestamp())
    payload: dict[str, Any] = {
        "iss": signer.issuer,
        "iat": iat,
        "exp": iat + int(lifetime.total_seconds()),
        "vct": vct,
        "cnf": {"jwk": public_jwk(holder_key)},
        "_sd": sorted(digests),
        "_sd_alg": SD_ALG,
    }
    if status is not None:
        payload["status"] = status.claim()
    jwt = sign_jws(_json(payload), signer.key, kid=signer.kid_text, typ=TYP)
    return "~".join([jwt, *disclosures, ""])


def present(
    sd_jwt: str, *, disclose: Collection[str], holder_key: ec.EllipticCurvePrivateKey, nonce: str, audience: str,
    now: dt.datetime,
) -> str:  # fmt: skip
    """What the holder's device does: keep the disclosures of ``disclose``, and bind them with a KB-JWT (§4.3)."""
    jwt, *disclosures = sd_jwt.split("~")
    kept = [d for d in disclosures if d and json.loads(b64url_decode(d))[1] in disclose]
    prefix = "~".join([jwt, *kept, ""])
    kb_claims = {"iat": int(now.timestamp()), "aud": audience, "nonce": nonce, "sd_hash": digest(prefix)}
    kb = sign_jws(_json(kb_claims), holder_key, kid="device", typ=KB_TYP)
    return prefix + kb


def verify(
    presentation: str,
    *,
    issuer_key: Callable[[str], tuple[str, ec.EllipticCurvePublicKey] | None],
    now: dt.datetime,
    nonce: str | None = None,
    audience: str | None = None,
    require_key_binding: bool = False,
) -> VerifiedSdJwt:
    """RFC 9901 §7.1 and §7.3. ``issuer_key(kid)`` answers (issuer, key) or None; nonce and audience are
    checked when given (an online verifier gives both and requires key binding)."""
    parts = presentation.strip().split("~")
    if len(parts) < 2:
        raise InvalidPresentation("malformed")
    jwt, disclosures, kb = parts[0], parts[1:-1], parts[-1]
    try:
        kid = jws_kid(jwt)
        found = issuer_key(kid)
        if found is None:
            raise InvalidPresentation("unknown_issuer")
        payload = json.loads(verify_jws(jwt, found[1], typ=TYP).payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidPresentation("bad_signature") from exc
    if not isinstance(payload, dict) or payload.get("iss") != found[0]:
        raise InvalidPresentation("malformed")
    claims, names = _disclosed(payload, disclosures)
    _check_times(payload, now)
    bound = bool(kb)
    if bound or require_key_binding:
        _check_key_binding(payload, presentation[: len(presentation) - len(kb)], kb, now, nonce, audience)
    return VerifiedSdJwt(kid, claims, names, bound)


def _disclosed(payload: dict[str, Any], disclosures: list[str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """§7.1 step 3: each disclosure referenced exactly once, no digest twice, no clash; the claims with them."""
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        raise InvalidPresentation("malformed")
    by_digest: dict[str, tuple[str, Any]] = {}
    for disclosure in disclosures:
        try:
            decoded = json.loads(b64url_decode(disclosure))
        except ValueError as exc:
            raise InvalidPresentation("malformed") from exc
        if not (isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(x, str) for x in decoded[:2])):
            raise InvalidPresentation("malformed")
        name = decoded[1]
        if name in _RESERVED or digest(disclosure) in by_digest:
            raise InvalidPresentation("malformed")
        by_digest[digest(disclosure)] = (name, decoded[2])
    digests = payload.get("_sd", [])
    if (
        not isinstance(digests, list)
        or len(set(digests)) != len(digests)
        or not all(isinstance(d, str) for d in digests)
    ):
        raise InvalidPresentation("malformed")
    claims = {k: v for k, v in payload.items() if k not in ("_sd", "_sd_alg")}
    if _nested_sd(claims):
        raise InvalidPresentation("malformed")  # this profile discloses top-level claims only
    names = []
    for value in digests:
        if value in by_digest:
            name, disclosed_value = by_digest.pop(value)
            if name in claims:
                raise InvalidPresentation("malformed")
            claims[name] = disclosed_value
            names.append(name)
    if by_digest:
        raise InvalidPresentation("malformed")  # a disclosure no digest refers to (§7.1 step 3.5)
    return claims, tuple(names)


def _nested_sd(value: object) -> bool:
    if isinstance(value, dict):
        return "_sd" in value or any(_nested_sd(v) for v in value.values())
    if isinstance(value, list):
        return any((isinstance(v, dict) and "..." in v) or _nested_sd(v) for v in value)
    return False


def _check_times(payload: Mapping[str, Any], now: dt.datetime) -> None:
    moment, skew = now.timestamp(), CLOCK_SKEW.total_seconds()
    exp, nbf, iat = payload.get("exp"), payload.get("nbf"), payload.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int) or (nbf is not None and not isinstance(nbf, int)):
        raise InvalidPresentation("malformed")
    if exp + skew <= moment:
        raise InvalidPresentation("expired")
    if iat - skew > moment or (nbf is not None and nbf - skew > moment):
        raise InvalidPresentation("not_yet_valid")


def _check_key_binding(
    payload: Mapping[str, Any], prefix: str, kb: str, now: dt.datetime, nonce: str | None, audience: str | None
) -> None:
    """§7.3: the KB-JWT verifies with ``cnf.jwk``, is fresh, answers this nonce and audience, and hashes the rest."""
    cnf = payload.get("cnf")
    try:
        if not kb or not isinstance(cnf, dict):
            raise ValueError("no key binding")
        claims = json.loads(verify_jws(kb, load_public_jwk(cnf["jwk"]), typ=KB_TYP).payload)
        iat = claims["iat"]
        fresh = (
            isinstance(iat, int) and -CLOCK_SKEW.total_seconds() <= now.timestamp() - iat <= KB_MAX_AGE.total_seconds()
        )
        if not fresh or claims.get("sd_hash") != digest(prefix):
            raise ValueError("stale or for other disclosures")
        if (nonce is not None and claims.get("nonce") != nonce) or (
            audience is not None and claims.get("aud") != audience
        ):
            raise ValueError("another verifier's or another time's")
    except (InvalidSignature, InvalidKey, ValueError, TypeError, LookupError) as exc:
        raise InvalidPresentation("key_binding") from exc


def verify_against_bundle(text: str, trust: TrustBundle, *, now: dt.datetime) -> Verdict:
    """:func:`verify` with the keys and status lists of a trust bundle, as a :class:`~.verifier.Verdict`.

    Offline, no nonce is known: a key binding present is checked but for its nonce and audience.
    """

    def key_of(kid: str) -> tuple[str, ec.EllipticCurvePublicKey] | None:
        try:
            key = trust.keys.get(b64url_decode(kid))
        except ValueError:
            return None
        return None if key is None else (key.issuer, key.public_key)

    age = trust.age(now)
    try:
        verified = verify(text, issuer_key=key_of, now=now)
    except InvalidPresentation as exc:
        reason = exc.reason if exc.reason != "key_binding" else "bad_signature"
        return Verdict(False, reason, format="sd-jwt-vc", bundle_age=age)
    claims = verified.claims
    about = Verdict(
        False,
        format="sd-jwt-vc",
        kid=verified.kid,
        issuer=str(claims.get("iss")),
        profile=str(claims.get("vct")),
        issued_at=claims.get("iat"),
        expires_at=claims.get("exp"),
        device_bound=verified.key_bound,
        bundle_age=age,
    )
    if trust.is_stale(now):
        return replace(about, reason="stale_bundle")
    status_name: str | None = None
    if "status" in claims:
        try:
            reference = StatusReference.from_claim(claims["status"])
        except ValueError:
            return replace(about, reason="malformed")
        refusal, status_name = status_of(reference.uri, reference.idx, trust, now)
        if refusal is not None:
            return replace(about, reason=refusal, status=status_name)
    shown = {name: claims[name] for name in verified.disclosed}
    return replace(about, valid=True, status=status_name, disclosed=shown)


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
