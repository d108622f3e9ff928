"""The credentials' service functions: issue, revoke, follow accounts and documents, publish, check online.

- The e-ID QR (``eid``) is shown from the app: the server signs it for :data:`~.profiles.IDENTITY_LIFETIME`
  to the session's device (``cnf``), with the fields the holder chose (decision 0041).
- A document's QR and the minimal credentials drawn from a document need the passcode; ``age_over_18``
  does not, like the e-ID QR. All these are short-lived and carry no status.
- The paper card (``eid-min``) and the SD-JWT VCs are long-lived: each takes a random slot in the
  issuer's status list, and its status follows the account (locked: suspended) and the document
  (revoked or refused: invalid), or is revoked by an officer for good (decision 0042).

Every issue, revocation and online check is audited about the person, with ids, profiles and field
names only: the holder's usage history shows them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.statuses import AccountStatus
from civicid.core import audit
from civicid.core.audit import SYSTEM, Actor
from civicid.core.clock import Clock
from civicid.core.crypto import InvalidKey, jwk_thumbprint, load_public_jwk
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.country.sex import Sex
from civicid.credentials import paper, qr, sd_jwt_vc, status_list
from civicid.credentials import trust_bundle as bundle
from civicid.credentials.claim169 import FIELDS, PHOTO_WEBP, Identity, claim_169
from civicid.credentials.errors import (
    CredentialNotFound,
    CredentialUnavailable,
    InvalidCredentialRequest,
    StatusListNotFound,
)
from civicid.credentials.issuing import sign_qr
from civicid.credentials.keys import IssuerKeys
from civicid.credentials.models import IssuedCredential, StatusListRow
from civicid.credentials.profiles import (
    DOCUMENT_FACTS,
    DOCUMENT_PROFILES,
    IDENTITY_LIFETIME,
    PAPER_CARD_LIFETIME,
    SHOWN_LIFETIME,
    Profile,
    QrCredential,
)
from civicid.credentials.schemas import QR_FORMAT, IssuedCredentialRead, QrOut, SdJwtOut
from civicid.credentials.status_list import Status, StatusReference
from civicid.credentials.verdict import Verdict
from civicid.credentials.verifier import verify
from civicid.registry import service as registry
from civicid.wallet import card
from civicid.wallet import service as wallet
from civicid.wallet.errors import PortraitNotFound
from civicid.wallet.portraits import PortraitVault
from civicid.wallet.schemas import WalletDocumentDetail

SD_JWT_FORMAT = "sd-jwt-vc"
STATUS_BITS = 2
STATUS_LIST_SIZE = 1 << 17  # 131 072 slots of 2 bits: 32 KiB, a few hundred bytes once compressed
BUNDLE_NEXT_UPDATE = dt.timedelta(days=1)
BUNDLE_LIFETIME = dt.timedelta(days=7)
SD_JWT_LIFETIME = dt.timedelta(days=30)
PHOTO_BUDGET = 400  # bytes of WebP in the e-ID QR: the profile stays within QR version 20 at M
EID_VCT = "urn:vn:civicid:eid:1"
_SEX = {Sex.MALE: "male", Sex.FEMALE: "female"}


@dataclass(frozen=True)
class Holder:
    """Who asks: the account, its person, and the device the session was opened on."""

    account_id: str
    person_id: int
    device_id: str


def identity_qr(
    *, session: Session, clock: Clock, keys: IssuerKeys, vault: PortraitVault, holder: Holder, fields: Collection[str]
) -> QrOut:
    """The e-ID QR: Claim 169 with the chosen fields, the level and card expiry, bound to the session's device."""
    chosen = _fields(fields or FIELDS, FIELDS)
    identity, level, card_expiry, _ = _identity(session, clock, vault, holder, actor=holder_actor(holder.account_id))
    try:
        device = b64url_decode(holder.device_id)
    except ValueError:
        raise CredentialUnavailable("the session's device has no key id") from None
    credential = _credential(
        keys, session, clock, Profile.EID, IDENTITY_LIFETIME, identity=claim_169(identity, chosen), level=level,
        card_expiry=card_expiry, device=device,
    )  # fmt: skip
    return _issued_qr(session, clock, keys, credential, holder.person_id, holder_actor(holder.account_id), chosen)


def document_qr(
    *,
    session: Session,
    clock: Clock,
    keys: IssuerKeys,
    holder: Holder,
    profile: Profile,
    document_id: str | None,
    passcode: str | None,
    fields: Collection[str],
    hasher: SecretHasher = PRODUCTION,
) -> QrOut:
    """A wallet document's QR, or a minimal credential drawn from it; the passcode opens the document first.

    A wrong passcode is counted and audited before it is raised (the edge commits, then raises).
    """
    actor = holder_actor(holder.account_id)
    if profile is Profile.AGE_OVER_18:
        return _age_over_18(session, clock, keys, holder)
    document = _opened(session, clock, holder, document_id, passcode, hasher)
    name = registry.get_person(session=session, clock=clock, actor=actor, person_id=holder.person_id).full_name
    identity = {4: name}
    if profile is Profile.HEALTH_INSURANCE_VALID:
        if document.kind.value != "health_insurance" or document.valid_until is None:
            raise InvalidCredentialRequest("only a health-insurance card with a validity says until when it is valid")
        claims: dict[str, Any] = {"valid_until": document.valid_until.isoformat()}
        chosen = ["full_name", "valid_until"]
    elif profile in DOCUMENT_PROFILES and document.kind.value == profile.value:
        facts = {"number": document.number, **(document.facts or {})}
        chosen = _fields(fields or DOCUMENT_FACTS[profile], DOCUMENT_FACTS[profile])
        claims = {k: _plain(facts[k]) for k in chosen if k in facts}
        chosen = ["full_name", *claims]
    else:
        raise InvalidCredentialRequest(f"a {document.kind.value} is not shown as {profile.value}", field="profile")
    credential = _credential(keys, session, clock, profile, SHOWN_LIFETIME, identity=identity, claims=claims)
    return _issued_qr(session, clock, keys, credential, holder.person_id, actor, chosen, document_id=document.id)


def paper_card(
    *, session: Session, clock: Clock, keys: IssuerKeys, vault: PortraitVault, actor: Actor, person_id: int
) -> bytes:
    """The paper card's PDF (``paper.card_pdf``) with a new ``eid-min`` QR; the person's earlier cards stay valid
    until an officer revokes them (:func:`revoke`)."""
    out, identity, portrait = paper_card_qr(
        session=session, clock=clock, keys=keys, vault=vault, actor=actor, person_id=person_id
    )
    return paper.card_pdf(identity=identity, portrait=portrait, text=out.text, expires_at=out.expires_at)


def paper_card_qr(
    *, session: Session, clock: Clock, keys: IssuerKeys, vault: PortraitVault, actor: Actor, person_id: int
) -> tuple[QrOut, Identity, bytes | None]:
    """The paper card's QR (``eid-min``): long-lived, with a status list slot; and the identity printed by it."""
    account = accounts.get_account_by_person(session=session, person_id=person_id)
    if account.status is AccountStatus.CLOSED:
        raise CredentialUnavailable("a closed account gets no paper card")
    holder = Holder(account.id, person_id, "")
    identity, level, card_expiry, portrait = _identity(session, clock, vault, holder, actor=actor)
    chosen = ["id_number", "full_name", "date_of_birth", "sex"]
    lifetime = PAPER_CARD_LIFETIME
    if card_expiry is not None:
        until_card = dt.datetime.fromisoformat(card_expiry).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
        lifetime = min(lifetime, max(until_card - clock.now(), dt.timedelta(days=1)))
    reference, list_id = _allocate(session, clock, keys)
    credential = _credential(
        keys, session, clock, Profile.EID_MIN, lifetime, identity=claim_169(identity, chosen), level=level,
        card_expiry=card_expiry, status=reference,
    )  # fmt: skip
    out = _issued_qr(session, clock, keys, credential, person_id, actor, chosen, slot=(list_id, reference.idx))
    refresh_person(session=session, clock=clock, person_id=person_id)  # a locked account's card starts suspended
    return out, identity, portrait


def sd_jwt(
    *,
    session: Session,
    clock: Clock,
    keys: IssuerKeys,
    holder: Holder,
    holder_jwk: dict[str, str],
    document_id: str | None = None,
    passcode: str | None = None,
    hasher: SecretHasher = PRODUCTION,
) -> SdJwtOut:
    """An SD-JWT VC of the e-ID (or, with the passcode, of a document), bound to the device's key, with a status."""
    actor = holder_actor(holder.account_id)
    try:
        device_key = load_public_jwk(holder_jwk)
    except InvalidKey:
        raise CredentialUnavailable("the device's key is not usable") from None
    if document_id is None:
        person = registry.get_person(session=session, clock=clock, actor=actor, person_id=holder.person_id)
        vct, doc = EID_VCT, None
        claims: dict[str, Any] = {
            "id_number": person.id_number,
            "full_name": person.full_name,
            "birthdate": person.date_of_birth.isoformat(),
            "sex": _SEX.get(person.sex, "other"),
            "age_over_18": person.date_of_birth <= _years_before(clock.today(), 18),
        }
    else:
        doc = _opened(session, clock, holder, document_id, passcode, hasher)
        vct = f"urn:vn:civicid:{doc.kind.value}:1"
        claims = {"number": doc.number, **{k: _plain(v) for k, v in (doc.facts or {}).items()}}
    reference, list_id = _allocate(session, clock, keys)
    signer = keys.current(session=session, clock=clock)
    token = sd_jwt_vc.issue(
        signer=signer, vct=vct, claims=claims, holder_key=device_key, now=clock.now(), lifetime=SD_JWT_LIFETIME,
        status=reference,
    )  # fmt: skip
    expires = clock.now() + SD_JWT_LIFETIME
    _record(
        session, clock, actor, holder.person_id, credential_id=os.urandom(8).hex(), profile=vct, form=SD_JWT_FORMAT,
        kid=signer.kid_text, expires=expires, fields=sorted(claims), document_id=None if doc is None else doc.id,
        slot=(list_id, reference.idx),
    )  # fmt: skip
    refresh_person(session=session, clock=clock, person_id=holder.person_id)
    return SdJwtOut(vct=vct, sd_jwt=token, expires_at=expires)


def revoke(*, session: Session, clock: Clock, actor: Actor, person_id: int, credential_id: str, reason: str) -> None:
    """Revoke one long-lived credential for good (a paper card lost): its status becomes INVALID."""
    row = session.get(IssuedCredential, credential_id, with_for_update=True)
    if row is None or row.person_id != person_id:
        raise CredentialNotFound("no such credential for this person")
    if row.status_list_id is None:
        raise InvalidCredentialRequest("a short-lived credential expires by itself; it has no status to revoke")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason, row.status = clock.now(), reason[:60] or "revoked", Status.INVALID
        _audit(session, clock, actor, "credentials.revoke", person_id, {"credential_id": row.id, "kind": row.profile})


def refresh_person(*, session: Session, clock: Clock, person_id: int) -> None:
    """The job for ``accounts.status_changed``: the person's credentials follow the account (locked: SUSPENDED)."""
    account = accounts.find_account_by_person(session=session, person_id=person_id)
    status = _account_status(None if account is None else account.status)
    rows = session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.person_id == person_id,
            IssuedCredential.status_list_id.is_not(None),
            IssuedCredential.revoked_at.is_(None),
        )
    ).all()
    for row in rows:
        row.status = max(status, _document_status(session, clock, row.document_id))


def refresh_document(*, session: Session, clock: Clock, document_id: str) -> None:
    """The job for ``wallet.document_changed``: the credentials attesting a document follow its standing."""
    standing = wallet.document_standing(session=session, clock=clock, document_id=document_id)
    if standing is not None:
        refresh_person(session=session, clock=clock, person_id=standing[0])


def trust_bundle(*, session: Session, clock: Clock, keys: IssuerKeys) -> str:
    """The verifiers' trust bundle as of now (``civicid-trust/1``), signed with the trust key."""
    now = clock.now()
    published = keys.published(session=session, clock=clock)
    tokens = [status_list_token(session=session, clock=clock, keys=keys, list_id=r.id) for r in _lists(session, keys)]
    rules = bundle.Rules(
        clock_skew=30,
        lifetimes={
            Profile.EID.value: int(IDENTITY_LIFETIME.total_seconds()),
            "shown": int(SHOWN_LIFETIME.total_seconds()),
            Profile.EID_MIN.value: int(PAPER_CARD_LIFETIME.total_seconds()),
        },
    )
    return bundle.sign(
        key=keys.trust_key(), now=now, next_update=BUNDLE_NEXT_UPDATE, lifetime=BUNDLE_LIFETIME,
        issuers={keys.issuer: published}, status_lists={keys.issuer: tokens}, rules=rules,
    )  # fmt: skip


def trust_anchor(keys: IssuerKeys) -> str:
    """The thumbprint a verifier pins: the trust key's (RFC 7638)."""
    return jwk_thumbprint(keys.trust_key())


def status_list_token(
    *, session: Session, clock: Clock, keys: IssuerKeys, list_id: int, form: str = "jwt"
) -> str:  # fmt: skip
    """A status list as its issuer signs it now, in the JWT (``statuslist+jwt``) or the CWT form (base64url)."""
    row = session.get(StatusListRow, list_id)
    if row is None or row.issuer != keys.issuer:
        raise StatusListNotFound(f"no status list {list_id}")
    entries = session.execute(
        select(IssuedCredential.status_idx, IssuedCredential.status).where(
            IssuedCredential.status_list_id == row.id, IssuedCredential.status != Status.VALID
        )
    ).all()
    built = status_list.StatusList.of(row.size, {int(i): int(s) for i, s in entries if i is not None}, bits=row.bits)
    signer, lifetime = keys.current(session=session, clock=clock), int(BUNDLE_LIFETIME.total_seconds())
    uri = status_uri(row.id)
    if form == "cwt":
        token = status_list.sign_cwt(built, signer.key, kid=signer.kid, uri=uri, now=clock.now(), lifetime=lifetime)
        return b64url_encode(token)
    return status_list.sign_jwt(built, signer.key, kid=signer.kid_text, uri=uri, now=clock.now(), lifetime=lifetime)


def status_uri(list_id: int) -> str:
    """The ``uri`` credentials name their list by; the server serves it at ``/api/v1/credentials/status-lists/{id}``."""
    return f"urn:civicid:sl:{list_id}"


def check_online(
    *, session: Session, clock: Clock, keys: IssuerKeys, credential: str, actor: Actor,
    nonce: str | None = None, audience: str | None = None,
) -> Verdict:  # fmt: skip
    """The server's own check of a credential (a verifier with signal): the live bundle, and, for an SD-JWT
    presented with a nonce, its key binding. A credential this server issued is recorded in its holder's history."""
    trust = bundle.load(trust_bundle(session=session, clock=clock, keys=keys), now=clock.now())
    verdict = verify(credential, trust, now=clock.now())
    if verdict.valid and verdict.format == SD_JWT_FORMAT and (nonce is not None or audience is not None):
        try:
            sd_jwt_vc.verify(
                credential, issuer_key=lambda kid: _key_of(trust, kid), now=clock.now(), nonce=nonce,
                audience=audience, require_key_binding=True,
            )  # fmt: skip
        except sd_jwt_vc.InvalidPresentation:
            verdict = Verdict(False, "bad_signature", format=SD_JWT_FORMAT, bundle_age=0)
    row = None if verdict.credential_id is None else session.get(IssuedCredential, verdict.credential_id)
    if row is not None:
        details = {"kind": row.profile, "status": "valid" if verdict.valid else verdict.reason, "credential_id": row.id}
        _audit(session, clock, actor, "credentials.verify", row.person_id, details)
    return verdict


def credentials_of(*, session: Session, person_id: int) -> list[IssuedCredentialRead]:
    """The person's long-lived credentials (paper cards, SD-JWT VCs), newest first: what an officer may revoke."""
    rows = session.scalars(
        select(IssuedCredential)
        .where(IssuedCredential.person_id == person_id, IssuedCredential.status_list_id.is_not(None))
        .order_by(IssuedCredential.issued_at.desc())
    )
    return [IssuedCredentialRead.model_validate(r) for r in rows]


# Helpers ---------------------------------------------------------------------------------------------------------


def _identity(
    session: Session, clock: Clock, vault: PortraitVault, holder: Holder, *, actor: Actor
) -> tuple[Identity, int, str | None, bytes | None]:
    """The holder's identity for a QR (the photo as its thumbnail), level, card expiry, and the portrait itself."""
    account = accounts.get_account(session=session, account_id=holder.account_id)
    if account.status in (AccountStatus.LOCKED, AccountStatus.CLOSED):
        raise CredentialUnavailable("the account is locked or closed")
    person = registry.get_person(session=session, clock=clock, actor=actor, person_id=holder.person_id)
    cards = registry.list_id_cards(session=session, clock=clock, actor=actor, person_id=holder.person_id)
    chip = card.current_card(cards)
    photo = image = None
    with contextlib.suppress(PortraitNotFound):
        portrait = card.read_portrait(
            session=session, clock=clock, vault=vault, account_id=holder.account_id, person_id=holder.person_id,
            actor=actor,
        )  # fmt: skip
        image = portrait.image
        photo = qr_thumbnail(image)
    sex = _SEX.get(person.sex, "other")
    identity = Identity(person.id_number, person.full_name, person.date_of_birth, sex, photo, PHOTO_WEBP)
    expiry = None if chip is None or chip.expiry_date is None else chip.expiry_date.isoformat()
    return identity, account.level, expiry, image


def qr_thumbnail(image: bytes) -> bytes | None:
    """A grey WebP of the portrait within :data:`PHOTO_BUDGET` bytes (Claim 169 photo format 4); None if none fits."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = opened.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    for size, quality in (((64, 80), 40), ((64, 80), 20), ((48, 60), 20), ((40, 50), 10)):
        small = picture.copy()
        small.thumbnail(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="WEBP", quality=quality, method=6)
        if out.tell() <= PHOTO_BUDGET:
            return out.getvalue()
    return None


def _age_over_18(session: Session, clock: Clock, keys: IssuerKeys, holder: Holder) -> QrOut:
    actor = holder_actor(holder.account_id)
    account = accounts.get_account(session=session, account_id=holder.account_id)
    if account.status in (AccountStatus.LOCKED, AccountStatus.CLOSED):
        raise CredentialUnavailable("the account is locked or closed")
    person = registry.get_person(session=session, clock=clock, actor=actor, person_id=holder.person_id)
    if person.date_of_birth > _years_before(clock.today(), 18):
        raise CredentialUnavailable("the holder is not 18 yet")
    credential = _credential(
        keys, session, clock, Profile.AGE_OVER_18, SHOWN_LIFETIME, claims={"age_over_18": True}
    )  # fmt: skip
    return _issued_qr(session, clock, keys, credential, holder.person_id, actor, ["age_over_18"])


def _opened(
    session: Session, clock: Clock, holder: Holder, document_id: str | None, passcode: str | None, hasher: SecretHasher
) -> WalletDocumentDetail:
    if not document_id or not passcode:
        raise InvalidCredentialRequest("a document is shown with its id and the passcode", field="passcode")
    document = wallet.open_document(
        session=session, clock=clock, account_id=holder.account_id, person_id=holder.person_id,
        document_id=document_id, passcode=passcode, hasher=hasher,
    )  # fmt: skip
    if document.status.value != "integrated" or document.revoked or document.expired:
        raise CredentialUnavailable("only an integrated document, neither revoked nor expired, is shown")
    return document


def _credential(
    keys: IssuerKeys, session: Session, clock: Clock, profile: Profile, lifetime: dt.timedelta, **claims: Any
) -> QrCredential:
    iat = int(clock.now().timestamp())
    return QrCredential(
        profile=profile,
        issuer=keys.issuer,
        credential_id=os.urandom(8),
        issued_at=iat,
        expires_at=iat + int(lifetime.total_seconds()),
        **claims,
    )


def _issued_qr(
    session: Session,
    clock: Clock,
    keys: IssuerKeys,
    credential: QrCredential,
    person_id: int,
    actor: Actor,
    fields: Sequence[str],
    *,
    document_id: str | None = None,
    slot: tuple[int, int] | None = None,
) -> QrOut:
    signer = keys.current(session=session, clock=clock)
    text = sign_qr(credential, signer)
    issued = dt.datetime.fromtimestamp(credential.issued_at, dt.UTC)
    expires = dt.datetime.fromtimestamp(credential.expires_at, dt.UTC)
    _record(
        session, clock, actor, person_id, credential_id=credential.credential_id.hex(), profile=credential.profile,
        form=QR_FORMAT, kid=signer.kid_text, expires=expires, fields=list(fields), document_id=document_id, slot=slot,
    )  # fmt: skip
    return QrOut(
        profile=credential.profile, text=text, svg=qr.svg(text), qr_version=qr.version(text), issued_at=issued,
        expires_at=expires, fields=list(fields),
    )  # fmt: skip


def _record(
    session: Session, clock: Clock, actor: Actor, person_id: int, *, credential_id: str, profile: str, form: str,
    kid: str, expires: dt.datetime, fields: list[str], document_id: str | None, slot: tuple[int, int] | None,
) -> None:  # fmt: skip
    session.add(
        IssuedCredential(
            id=credential_id,
            person_id=person_id,
            profile=str(profile),
            format=form,
            document_id=document_id,
            kid=kid,
            issued_at=clock.now(),
            expires_at=expires,
            status_list_id=None if slot is None else slot[0],
            status_idx=None if slot is None else slot[1],
            status=Status.VALID,
            fields=fields,
        )
    )
    details = {"credential_id": credential_id, "kind": str(profile), "fields": fields}
    _audit(session, clock, actor, "credentials.issue", person_id, details)


def _allocate(session: Session, clock: Clock, keys: IssuerKeys) -> tuple[StatusReference, int]:
    """A random free slot in the issuer's list (§12.5): drawn again on a collision, which a unique index settles."""
    row = _status_list_row(session, clock, keys)
    for _ in range(32):
        idx = secrets.randbelow(row.size)
        taken = session.scalar(
            select(IssuedCredential.id).where(
                IssuedCredential.status_list_id == row.id, IssuedCredential.status_idx == idx
            )
        )
        if taken is None:
            return StatusReference(idx, status_uri(row.id)), row.id
    raise CredentialUnavailable("the issuer's status list is full; a new one is needed")


def _status_list_row(session: Session, clock: Clock, keys: IssuerKeys) -> StatusListRow:
    row = session.scalar(select(StatusListRow).where(StatusListRow.issuer == keys.issuer))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = StatusListRow(issuer=keys.issuer, bits=STATUS_BITS, size=STATUS_LIST_SIZE, created_at=clock.now())
            session.add(row)
            session.flush()  # The list's id goes into the credential's status reference.
    except IntegrityError:
        row = session.scalar(select(StatusListRow).where(StatusListRow.issuer == keys.issuer))
        if row is None:
            raise
    return row


def _lists(session: Session, keys: IssuerKeys) -> Sequence[StatusListRow]:
    return session.scalars(select(StatusListRow).where(StatusListRow.issuer == keys.issuer)).all()


def _account_status(status: AccountStatus | None) -> Status:
    if status is AccountStatus.CLOSED or status is None:
        return Status.INVALID
    return Status.SUSPENDED if status is AccountStatus.LOCKED else Status.VALID


def _document_status(session: Session, clock: Clock, document_id: str | None) -> Status:
    if document_id is None:
        return Status.VALID
    standing = wallet.document_standing(session=session, clock=clock, document_id=document_id)
    if standing is None or standing[1].revoked or standing[1].status.value != "integrated":
        return Status.INVALID
    return Status.VALID


def _key_of(trust: bundle.TrustBundle, kid: str) -> tuple[str, Any] | None:
    try:
        key = trust.keys.get(b64url_decode(kid))
    except ValueError:
        return None
    return None if key is None else (key.issuer, key.public_key)


def _fields(asked: Collection[str], allowed: Collection[str]) -> list[str]:
    unknown = sorted(set(asked) - set(allowed))
    if unknown or not asked:
        raise InvalidCredentialRequest(f"fields are some of {', '.join(allowed)}", field="fields")
    return [f for f in allowed if f in asked]


def _plain(value: Any) -> Any:
    """A fact as the QR carries it: text, number, boolean, or a list of text."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return value if isinstance(value, str | int | bool) else str(value)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _audit(session: Session, clock: Clock, actor: Actor, action: str, person_id: int, details: dict[str, Any]) -> None:
    audit.record(
        session=session, clock=clock, actor=actor or SYSTEM, action=action, subject_type="person",
        subject_id=str(person_id), details=details,
    )  # fmt: skip
