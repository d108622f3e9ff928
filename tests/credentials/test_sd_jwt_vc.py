"""SD-JWT VC (RFC 9901): ours against the reference implementation (``sd-jwt``, an oracle that is lax), and
the refusals the RFC asks for that it does not make."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.core.crypto._b64 import b64url_encode
from civicid.credentials import issuing, sd_jwt_vc
from civicid.credentials.sd_jwt_vc import InvalidPresentation

NOW = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)
ISSUER_KEY, HOLDER_KEY = generate_signing_key(), generate_signing_key()
SIGNER = issuing.SigningKey("vn-civicid", issuing.key_id(ISSUER_KEY), ISSUER_KEY)
CLAIMS = {"full_name": "Lò Thị Mai", "birthdate": "1990-05-12", "age_over_18": True, "id_number": "001190012345"}


def _issued(lifetime: dt.timedelta = dt.timedelta(days=30), now: dt.datetime = NOW) -> str:
    return sd_jwt_vc.issue(
        signer=SIGNER, vct="urn:vn:civicid:eid:1", claims=CLAIMS, holder_key=HOLDER_KEY.public_key(), now=now,
        lifetime=lifetime,
    )  # fmt: skip


def _presented(token: str | None = None, disclose: tuple[str, ...] = ("age_over_18",), nonce: str = "n-1") -> str:
    return sd_jwt_vc.present(
        token or _issued(), disclose=disclose, holder_key=HOLDER_KEY, nonce=nonce, audience="clinic", now=NOW
    )


def _ours(presentation: str, nonce: str = "n-1", now: dt.datetime = NOW) -> sd_jwt_vc.VerifiedSdJwt:
    def key(kid: str) -> tuple[str, ec.EllipticCurvePublicKey] | None:
        return ("vn-civicid", ISSUER_KEY.public_key()) if kid == SIGNER.kid_text else None

    return sd_jwt_vc.verify(
        presentation, issuer_key=key, now=now, nonce=nonce, audience="clinic", require_key_binding=True
    )


def _reference(presentation: str, nonce: str = "n-1") -> dict[str, object]:
    key = JWK.from_json(json.dumps(public_jwk(ISSUER_KEY)))
    verifier = SDJWTVerifier(presentation, lambda issuer, header: key, expected_aud="clinic", expected_nonce=nonce)
    payload: dict[str, object] = verifier.get_verified_payload()
    return payload


def test_the_reference_implementation_reads_what_we_issue_and_present() -> None:
    presentation = _presented(disclose=("full_name", "age_over_18"))
    reference = _reference(presentation)
    ours = _ours(presentation)
    assert reference["full_name"] == ours.claims["full_name"] == "Lò Thị Mai"
    assert reference["age_over_18"] is ours.claims["age_over_18"] is True
    assert "birthdate" not in reference
    assert "birthdate" not in ours.claims
    assert ours.key_bound
    assert set(ours.disclosed) == {"full_name", "age_over_18"}


def test_the_wrong_nonce_is_refused_by_both() -> None:
    presentation = _presented()
    with pytest.raises(InvalidPresentation, match="key_binding"):
        _ours(presentation, nonce="n-2")
    with pytest.raises(ValueError, match="nonce"):
        _reference(presentation, nonce="n-2")


def test_an_expired_credential_is_refused_though_the_reference_accepts_it() -> None:
    presentation = _presented(_issued(lifetime=dt.timedelta(days=1), now=NOW - dt.timedelta(days=2)))
    assert _reference(presentation)["age_over_18"] is True  # the oracle's gap (research/credentials.md §3.1)
    with pytest.raises(InvalidPresentation, match="expired"):
        _ours(presentation)


def test_an_unreferenced_disclosure_is_refused_though_the_reference_ignores_it() -> None:
    presentation = _presented()
    jwt, *rest = presentation.split("~")
    forged = b64url_encode(json.dumps(["c2FsdA", "id_number", "999999999999"]).encode())
    kb_free = "~".join([jwt, *rest[:-1], forged, ""])
    rebound = sd_jwt_vc.present(
        kb_free, disclose=("age_over_18", "id_number"), holder_key=HOLDER_KEY, nonce="n-1", audience="clinic", now=NOW
    )
    assert "id_number" not in _reference(rebound)
    with pytest.raises(InvalidPresentation, match="malformed"):
        _ours(rebound)


def test_a_repeated_disclosure_is_refused() -> None:
    token = _issued()
    jwt, *disclosures = token.split("~")
    doubled = "~".join([jwt, disclosures[0], disclosures[0], ""])
    presentation = sd_jwt_vc.present(
        doubled, disclose=set(CLAIMS), holder_key=HOLDER_KEY, nonce="n-1", audience="clinic", now=NOW
    )
    with pytest.raises(InvalidPresentation, match="malformed"):
        _ours(presentation)


def test_a_key_binding_for_other_disclosures_or_too_old_is_refused() -> None:
    presentation = _presented(disclose=("age_over_18",))
    jwt_and_disclosures, kb = presentation.rsplit("~", 1)
    other = _presented(disclose=("full_name",))
    swapped = other.rsplit("~", 1)[0] + "~" + kb  # the KB-JWT's sd_hash is of the first selection
    with pytest.raises(InvalidPresentation, match="key_binding"):
        _ours(swapped)
    with pytest.raises(InvalidPresentation, match="key_binding"):
        _ours(presentation, now=NOW + sd_jwt_vc.KB_MAX_AGE + dt.timedelta(seconds=1))
    with pytest.raises(InvalidPresentation, match="key_binding"):
        _ours(jwt_and_disclosures + "~")  # required, and absent
    assert jwt_and_disclosures


def test_a_tampered_issuer_jwt_or_unknown_key_is_refused() -> None:
    presentation = _presented()
    header, payload, signature = presentation.split("~")[0].split(".")
    tampered = presentation.replace(f"{header}.{payload}.", f"{header}.{payload[:-2]}AA.", 1)
    with pytest.raises(InvalidPresentation, match="bad_signature"):
        _ours(tampered)
    with pytest.raises(InvalidPresentation, match="unknown_issuer"):
        sd_jwt_vc.verify(presentation, issuer_key=lambda kid: None, now=NOW)
    assert signature
