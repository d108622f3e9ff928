"""Signing over HTTP and at the terminal: the holder's activation, signing, verification and history in the
app's API; the public PKI (CA certificates, CRL, OCSP by POST and GET, the RFC 3161 TSA); ``civicid sign``;
and the campaign's "signatures activated" figure."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import algos, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from httpx import AsyncClient
from tests.factories import PASSCODE, Phone, codes_sent, sample_pdf
from typer.testing import Result

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.signing import profiles, service
from civicid.signing.service import CertificateView, Signing

pytestmark = pytest.mark.anyio
ME = "/api/v1/signing/me"


def _headers(holder: Phone) -> dict[str, str]:
    done = holder.login()
    assert not isinstance(done, Exception)
    return {"Authorization": f"Bearer {done.token}", "CivicID-Device": done.device_id}


async def test_the_holder_activates_signs_verifies_and_sees_the_history_in_the_app(
    holder_client: AsyncClient, context: Context, holder: Phone
) -> None:
    headers = _headers(holder)
    state = (await holder_client.get(ME, headers=headers)).json()
    assert state["eligible"] is True
    assert state["certificate"] is None
    assert "time_stamping_authority" in state["simulated"]

    sent = await holder_client.post(f"{ME}/activation/code", headers=headers)
    assert sent.status_code == 202, sent.text
    code = codes_sent(context, holder.account.id)[0]
    activated = await holder_client.post(f"{ME}/activation", headers=headers, json={"passcode": PASSCODE, "code": code})
    assert activated.status_code == 201, activated.text
    assert activated.json()["status"] == "active"

    wrong = await holder_client.post(
        f"{ME}/sign", headers={**headers, "CivicID-Passcode": "000001", "Content-Type": "application/pdf"},
        content=sample_pdf(),
    )  # fmt: skip
    assert wrong.json()["code"] == "invalid_passcode"
    signed = await holder_client.post(
        f"{ME}/sign", headers={**headers, "CivicID-Passcode": PASSCODE, "Content-Type": "application/pdf"},
        content=sample_pdf(),
    )  # fmt: skip
    assert signed.status_code == 200, signed.text
    assert signed.headers["content-type"] == "application/pdf"

    checked = await holder_client.post(
        "/api/v1/signing/verify", content=signed.content, headers={"Content-Type": "application/pdf"}
    )
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["format"] == "civicid-pdf-verify/1"
    [signature] = report["signatures"]
    assert signature["ok"] is True
    assert signature["signer_id"] == f"IDCVN-{holder.person.id_number}"

    history = (await holder_client.get(f"{ME}/history", headers=headers)).json()
    assert [h["level"] for h in history] == ["B-LT"]


async def test_a_body_that_is_not_a_pdf_is_refused(holder_client: AsyncClient) -> None:
    response = await holder_client.post(
        "/api/v1/signing/verify", content=b"hello", headers={"Content-Type": "application/pdf"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_document"


async def test_the_pki_serves_the_ca_the_crl_ocsp_and_time_stamps(
    holder_client: AsyncClient, context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    root = x509.load_der_x509_certificate((await holder_client.get("/pki/ca/root.cer")).content)
    citizen_ca = x509.load_der_x509_certificate((await holder_client.get("/pki/ca/citizen.cer")).content)
    assert citizen_ca.issuer == root.subject
    with unit_of_work(context.database.sessions) as session:
        pem = service.certificate_pem(session=session, account_id=holder.account.id)
    issued = x509.load_pem_x509_certificate(pem.encode())

    request = ocsp.OCSPRequestBuilder().add_certificate(issued, citizen_ca, hashes.SHA256()).build()
    der = request.public_bytes(serialization.Encoding.DER)
    posted = await holder_client.post("/pki/ocsp", content=der, headers={"Content-Type": "application/ocsp-request"})
    answer = ocsp.load_der_ocsp_response(posted.content)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD

    with unit_of_work(context.database.sessions) as session:
        service.revoke(
            session=session, clock=context.clock, signing=signing, account_id=holder.account.id,
            actor=service.holder_actor(holder.account.id),
        )  # fmt: skip
    got = await holder_client.get(f"/pki/ocsp/{base64.b64encode(der).decode()}")
    assert ocsp.load_der_ocsp_response(got.content).certificate_status is ocsp.OCSPCertStatus.REVOKED
    crl = x509.load_der_x509_crl((await holder_client.get("/pki/crl/citizen.crl")).content)
    assert crl.is_signature_valid(citizen_ca.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(issued.serial_number) is not None

    malformed = await holder_client.post("/pki/ocsp", content=b"nonsense")
    assert ocsp.load_der_ocsp_response(malformed.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST

    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": bytes(32),
            },
            "nonce": 42,
            "cert_req": True,
        }
    )
    stamped = await holder_client.post(
        "/pki/tsa", content=query.dump(), headers={"Content-Type": "application/timestamp-query"}
    )
    reply = tsp.TimeStampResp.load(stamped.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 42
    assert info["gen_time"].native == context.clock.now()


def test_civicid_sign_pdf_then_verify_json(
    civicid: Callable[..., Result], context: Context, holder: Phone, certificate: CertificateView, tmp_path: Path
) -> None:
    source, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(sample_pdf())

    signed = civicid(
        "sign", "pdf", "--person", str(holder.person.id), "--in", str(source), "--out", str(out), stdin=f"{PASSCODE}\n"
    )
    assert signed.exit_code == 0, signed.output
    checked = civicid("sign", "verify", str(out), "--json")
    assert checked.exit_code == 0, checked.output
    [signature] = json.loads(checked.stdout)["signatures"]
    assert signature["signer_id"] == f"IDCVN-{holder.person.id_number}"
    assert signature["certificate_status"] == "good"

    revoked = civicid("sign", "revoke", "--person", str(holder.person.id))
    assert revoked.exit_code == 0, revoked.output
    after = civicid("sign", "verify", str(out), "--json")
    assert after.exit_code == 1
    assert json.loads(after.stdout)["signatures"][0]["certificate_status"] == "revoked"


def test_civicid_sign_activate_sends_the_code_then_asks_for_it_and_the_passcode(
    civicid: Callable[..., Result], context: Context, holder: Phone
) -> None:
    assert civicid("sign", "ca", "init").exit_code == 0
    person = str(holder.person.id)
    assert civicid("sign", "activate", "--person", person, "--send-code").exit_code == 0
    code = codes_sent(context, holder.account.id)[0]

    wrong = civicid("sign", "activate", "--person", person, stdin=f"{code}\n999999\n")
    assert wrong.exit_code == 2
    assert "invalid_passcode" in wrong.output
    done = civicid("sign", "activate", "--person", person, stdin=f"{code}\n{PASSCODE}\n")
    assert done.exit_code == 0, done.output
    assert f"IDCVN-{holder.person.id_number}" in done.stdout


def test_signatures_activated_count_by_village(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    with unit_of_work(context.database.sessions) as session:
        commune = _commune_of(session, holder)
        counted = service.activated_by_village(session=session, commune_codes=[commune])
        assert counted == {holder.person.village_id: 1}
        service.revoke(
            session=session, clock=context.clock, signing=signing, account_id=holder.account.id,
            actor=service.holder_actor(holder.account.id),
        )  # fmt: skip
        assert service.activated_by_village(session=session, commune_codes=[commune]) == {}


def _commune_of(session: object, holder: Phone) -> str:
    from civicid.registry import service as registry

    assert hasattr(session, "execute")
    return registry.get_village(session=session, village_id=holder.person.village_id).commune_code  # type: ignore[arg-type]


async def test_the_pki_refuses_what_it_does_not_serve(holder_client: AsyncClient, context: Context) -> None:
    assert (await holder_client.get("/pki/ca/nobody.cer")).status_code == 404
    assert (await holder_client.get("/pki/crl/tsa.crl")).status_code == 404
    root_crl = x509.load_der_x509_crl((await holder_client.get("/pki/crl/root.crl")).content)
    root = x509.load_der_x509_certificate((await holder_client.get("/pki/ca/root.cer")).content)
    assert root_crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert len(root_crl) == 0

    # A certificate of another CA: OCSP answers "unauthorized" (RFC 6960 §2.3); a serial never issued, "unknown".
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = profiles.root_certificate(stranger_key, context.clock.now())
    foreign = ocsp.OCSPRequestBuilder().add_certificate(stranger, stranger, hashes.SHA256()).build()
    answer = await holder_client.post("/pki/ocsp", content=foreign.public_bytes(serialization.Encoding.DER))
    assert ocsp.load_der_ocsp_response(answer.content).response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    citizen_ca = x509.load_der_x509_certificate((await holder_client.get("/pki/ca/citizen.cer")).content)
    never = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(_name_hash(citizen_ca), _key_hash(citizen_ca), 12345, hashes.SHA256())
        .build()
    )
    answer = await holder_client.post("/pki/ocsp", content=never.public_bytes(serialization.Encoding.DER))
    assert ocsp.load_der_ocsp_response(answer.content).certificate_status is ocsp.OCSPCertStatus.UNKNOWN

    # RFC 3161 §2.4.2: an imprint that is not a SHA-2 digest of its length is rejected, not stamped.
    bad = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": b"x",
            },
        }
    )
    reply = await holder_client.post(
        "/pki/tsa", content=bad.dump(), headers={"Content-Type": "application/timestamp-query"}
    )
    status = tsp.PKIStatusInfo.load(reply.content[2:])  # the reply's one field: no token
    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_alg"}
    wrong_type = await holder_client.post("/pki/tsa", content=bad.dump())
    assert wrong_type.status_code == 400


def _name_hash(certificate: x509.Certificate) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(certificate.subject.public_bytes())
    return digest.finalize()


def _key_hash(certificate: x509.Certificate) -> bytes:
    public = certificate.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public)
    return digest.finalize()
