"""Applications made from the citizen's app: the card of a child under 6 (DOMAIN.md: requested online,
no biometrics — a portrait and the parent's confirmation).

The request enters the enrollment pipeline exactly as a kit's application does: a ``civicid-packet/1``
envelope of type ``child_card`` with the portrait sealed to the server, signed by the commune's *app
channel* — a field device the server registers for itself and whose key the keystore holds
(``app_channel_signing_key``) — and received by ``intake.receive_envelope``. From there the stages
check the registry, the age and the guardian (level 2, the registry's link), and the supervisor
approves; approval issues the card and sends the parent the SMS (docs/decisions/0053-children.md).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from sqlalchemy.orm import Session

from civicid.accounts import children
from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.core import audit
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto.signing import public_jwk
from civicid.core.ids import uuid7
from civicid.core.keystore import FileKeystore
from civicid.devices import service as devices
from civicid.devices.errors import DeviceNotFound
from civicid.enrollment import intake
from civicid.protocol.packet import ApplicationType, Capture, PartIn, PartKind, build_packet
from civicid.registry import service as registry

APP_OPERATOR = "app"  # the capture's operator: the parent, through the app
PORTRAIT_MAX_BYTES = 512 * 1024


def app_channel_device_id(commune_code: str) -> str:
    return f"app-channel-{commune_code}"


def request_child_card(
    *,
    session: Session,
    clock: Clock,
    blobs: BlobStore,
    keystore: FileKeystore,
    guardian_account_id: str,
    child_account_id: str,
    portrait: bytes,
    confirmed: bool,
) -> intake.Receipt:
    """The parent asks for the card of their child under 6; ``ChildRefused`` (recorded) otherwise."""
    child = children.child_of(
        session=session, clock=clock, guardian_account_id=guardian_account_id, child_account_id=child_account_id
    )
    if not confirmed:
        children.refuse(session, clock, guardian_account_id, "no_consent", child.person_id)
    if not child.card_by_request:
        children.refuse(session, clock, guardian_account_id, "too_old_for_card", child.person_id)
    if not portrait or len(portrait) > PORTRAIT_MAX_BYTES:
        children.refuse(session, clock, guardian_account_id, "portrait_missing", child.person_id)
    actor = holder_actor(guardian_account_id)
    guardian = accounts.get_account(session=session, account_id=guardian_account_id)
    person = registry.get_person(session=session, clock=clock, actor=actor, person_id=child.person_id)
    commune_code = registry.communes_of_households(session=session, household_ids=[person.household_id])[
        person.household_id
    ]
    device_id, key = _app_channel(session, clock, keystore, commune_code)
    now = clock.now()
    capture = Capture(
        application_id=str(uuid7(int(now.timestamp() * 1000))),
        application_type=ApplicationType.CHILD_CARD,
        id_number=person.id_number,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        phone=None,
        guardian_id_number=guardian.id_number,
        commune_code=commune_code,
        village_id=person.village_id,
        household_id=person.household_id,
        operator=APP_OPERATOR,
        device_id=device_id,
        captured_at=now,
    )
    packet = build_packet(
        capture=capture,
        parts={"portrait": PartIn(PartKind.PORTRAIT, portrait, 0)},
        device_key=key,
        server_public_key=keystore.sealing_public_key(),
    )
    receipt = intake.receive_envelope(
        session=session, clock=clock, blobs=blobs, envelope_jws=packet.envelope_jws, parts=packet.sealed_parts
    )
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="application.child_card_request",
        subject_type="person",
        subject_id=str(person.id),
        details={"application_id": receipt.application_id, "child_account_id": child_account_id},
    )
    return receipt


def _app_channel(
    session: Session, clock: Clock, keystore: FileKeystore, commune_code: str
) -> tuple[str, EllipticCurvePrivateKey]:
    key = keystore.app_channel_signing_key(commune_code)
    device_id = app_channel_device_id(commune_code)
    try:
        devices.get_device(session=session, device_id=device_id)
    except DeviceNotFound:
        devices.register_device(
            session=session,
            clock=clock,
            actor=audit.Actor("system", "app-channel"),
            commune_code=commune_code,
            public_jwk=dict(public_jwk(key)),
            device_id=device_id,
        )
    return device_id, key
