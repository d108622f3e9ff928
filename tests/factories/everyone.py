"""Everyone gets an account: a card's QR photo, a selfie, the face check, and the three ways in
(level 1 on the phone, a child under a parent, an assisted activation) through the real services."""

from __future__ import annotations

import io

import segno
from sqlalchemy import select

from civicid.accounts import assisted, children, level1
from civicid.accounts.hashing import FAST
from civicid.accounts.models import AssistedDelivery
from civicid.biometrics.simulated import drawn_portrait
from civicid.core.audit import Actor, AuditEntry
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.country.card_qr import format_card_qr
from civicid.plugins import plugins_for
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead

from .accounts import attempt
from .actors import OFFICER


def card_qr_png(person: PersonRead, **changes: object) -> bytes:
    """A photo of the back of ``person``'s chip card: its QR (the 2021 card's text), rendered with segno."""
    fields: dict[str, object] = {
        "id_number": person.id_number,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        **changes,
    }
    text = format_card_qr(**fields)  # type: ignore[arg-type]
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def selfie_of(person: PersonRead) -> bytes:
    """A selfie of ``person`` in the simulation: their drawn face."""
    return drawn_portrait(person.id)


def face_check(context: Context) -> level1.FaceCheck:
    """The face check the app factory plugs in for this deployment."""
    return plugins_for(context.settings).face_check()


def register_level1(
    context: Context,
    person: PersonRead,
    *,
    phone: str = "0912345678",
    selfie: bytes | None = None,
    card: bytes | None = None,
    id_number: str | None = None,
    faces: level1.FaceCheck | None = None,
) -> level1.Level1Registered | CivicIDError:
    """A level-1 registration from the phone, as the API runs it; a refusal is returned (after its commit)."""
    faces = faces or face_check(context)
    return attempt(
        context,
        lambda session: level1.register_level1(
            session=session,
            clock=context.clock,
            id_number=id_number or person.id_number,
            phone=phone,
            selfie=selfie if selfie is not None else selfie_of(person),
            card_image=card if card is not None else card_qr_png(person),
            faces=faces,
            hasher=FAST,
        ),
    )


def add_child(context: Context, guardian_account_id: str, child: PersonRead) -> children.ChildAccount | CivicIDError:
    return attempt(
        context,
        lambda session: children.add_child(
            session=session,
            clock=context.clock,
            guardian_account_id=guardian_account_id,
            child_id_number=child.id_number,
        ),
    )


def start_assisted(
    context: Context,
    person: PersonRead,
    *,
    operator: Actor = OFFICER,
    commune_code: str | None = None,
    contact_phone: str | None = "0987000111",
    relation: str = "grandchild",
    delivery: AssistedDelivery = AssistedDelivery.SMS,
    identity_checked: bool = True,
    consent: bool = True,
) -> assisted.AssistedStarted | CivicIDError:
    return attempt(
        context,
        lambda session: assisted.start_assisted(
            session=session,
            clock=context.clock,
            operator=operator,
            commune_code=commune_code,
            person_id=person.id,
            identity_checked=identity_checked,
            consent=consent,
            delivery=delivery,
            contact_phone=contact_phone,
            contact_relation=relation,
            hasher=FAST,
        ),
    )


def confirm_assisted(
    context: Context, activation_id: str, code: str, *, operator: Actor = OFFICER
) -> str | CivicIDError:
    return attempt(
        context,
        lambda session: assisted.confirm_assisted(
            session=session,
            clock=context.clock,
            operator=operator,
            commune_code=None,
            activation_id=activation_id,
            code=code,
            hasher=FAST,
        ),
    )


def assisted_activated(context: Context, person: PersonRead, contact_phone: str = "0987000111") -> str:
    """An elder activated at the office with a relative's phone, the code shown on screen; the account id."""
    started = start_assisted(context, person, contact_phone=contact_phone, delivery=AssistedDelivery.SCREEN)
    assert isinstance(started, assisted.AssistedStarted), started
    assert started.code_on_screen is not None
    done = confirm_assisted(context, started.activation_id, started.code_on_screen)
    assert isinstance(done, str), done
    return done


def audit_actions(context: Context, action: str) -> list[dict[str, object]]:
    """The details of every audit entry of ``action``, oldest first."""
    with unit_of_work(context.database.sessions) as session:
        return [
            e.details
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        ]


def link_guardian(context: Context, child: PersonRead, guardian_id: int, relationship: str = "mother") -> None:
    """The registry's guardian link, recorded by an officer: what decides who may add a child."""
    with unit_of_work(context.database.sessions) as session:
        registry.link_guardian(
            session=session,
            clock=context.clock,
            actor=OFFICER,
            child_id=child.id,
            guardian_id=guardian_id,
            relationship=relationship,
        )
