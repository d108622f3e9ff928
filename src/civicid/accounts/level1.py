"""Level 1 on the phone (Decree 69/2024; DOMAIN.md "Accounts and levels"): ID number, own phone number, a
selfie matched 1:1 against the registry's portrait, and the card's QR checked against the registry.

The answer comes at once. A refusal names its reason, in this order of checks:

1. ``too_many_attempts``: more than :data:`MAX_ATTEMPTS_PER_ID_NUMBER` attempts for this ID number, or
   :data:`MAX_ATTEMPTS_PER_PHONE` from this phone, in the last :data:`ATTEMPT_WINDOW`;
2. ``card_unreadable``: no QR in the card photo, or not a card's QR;
3. ``card_not_matching``: the QR names another ID number, or says something the registry does not
   (name, date of birth, sex, a card the registry does not hold valid), or no person has that number;
4. ``too_young``: under 14 (a child's account is added by a level-2 parent, ``children.py``);
5. ``no_face`` (no face in the selfie) and ``not_same_person`` (the ``Verifier`` scores it under the
   threshold against the registry's portrait);
6. ``already_has_account`` and ``phone_taken``: told only to someone who has just shown the card and
   the face of that person (docs/decisions/0052-level-1-on-the-phone.md).

Every attempt leaves a :class:`~civicid.accounts.models.Level1Attempt` row (the ID number and phone as
digests) and an audit entry with the outcome; the limits count those rows. On success the account is
issued at level 1, pending activation, and the activation code goes by SMS to the phone just given:
the app goes on with the usual activation (``activation.py``: code → password, passcode, questions, device).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.accounts import codes, repository, service
from civicid.accounts.activation import PUBLIC
from civicid.accounts.errors import InvalidHolderInput, Level1Refused, PhoneNumberTaken
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.models import CodePurpose, Level1Attempt
from civicid.accounts.ports import RegistryPortraits
from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import Extractor, Template, Verifier
from civicid.core import audit
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.country.age import age_on
from civicid.country.card_qr import CardQr, parse_card_qr, read_card_qr_image
from civicid.country.errors import InvalidCardQr
from civicid.country.phone import normalise_phone
from civicid.registry import service as registry
from civicid.registry.codes import CardStatus
from civicid.registry.errors import PersonNotFound
from civicid.registry.schemas import PersonRead

ATTEMPT_WINDOW = dt.timedelta(days=1)
MAX_ATTEMPTS_PER_ID_NUMBER = 5
MAX_ATTEMPTS_PER_PHONE = 5
LEVEL1_MIN_AGE = 14
SELFIE_MAX_BYTES = 2 * 1024 * 1024
CARD_IMAGE_MAX_BYTES = 4 * 1024 * 1024
SOURCE = "level1:self"
REASONS = (
    "too_many_attempts",
    "card_unreadable",
    "card_not_matching",
    "too_young",
    "no_face",
    "not_same_person",
    "already_has_account",
    "phone_taken",
)


@dataclass(frozen=True)
class FaceCheck:
    """The 1:1 face match of a selfie against the registry's portrait, through the biometrics ports.

    ``simulated`` is true when the extractor or the portraits are the simulator's: the pages say so.
    """

    extractor: Extractor
    verifier: Verifier[Template]
    threshold: float
    portraits: RegistryPortraits
    simulated: bool

    def score(self, selfie: bytes, person_id: int, id_number: str) -> float | None:
        """The selfie's score against the person's portrait; ``None`` when the selfie shows no face.

        Raises ``ExtractionFailed`` never: a portrait the registry lacks or cannot be read scores 0
        (the person cannot be recognised, so they are not).
        """
        try:
            probe = self.extractor.extract(selfie)
        except ExtractionFailed:
            return None
        reference = self.portraits.portrait(person_id=person_id, id_number=id_number)
        if reference is None:
            return 0.0
        try:
            return self.verifier.score(probe, self.extractor.extract(reference))
        except ExtractionFailed:
            return 0.0


@dataclass(frozen=True)
class Level1Registered:
    """The account is issued at level 1 and an activation code is on its way to the phone."""

    account_id: str
    code_expires_in_seconds: int


def subject_digest(kind: str, value: str) -> str:
    """SHA-256 of ``kind:value``: what an attempt row keeps of an ID number or phone number."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def register_level1(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    phone: str,
    selfie: bytes,
    card_image: bytes,
    faces: FaceCheck,
    hasher: SecretHasher = PRODUCTION,
) -> Level1Registered:
    """Open a level-1 account after the checks above; :class:`Level1Refused` (recorded first) otherwise."""
    number, id_number = _checked_input(id_number, phone, selfie, card_image)
    attempt = Level1Attempt(
        id=new_id(),
        id_number_digest=subject_digest("id", id_number),
        phone_digest=subject_digest("phone", number),
        attempted_at=clock.now(),
        outcome="registered",
        account_id=None,
    )
    if _over_limit(session, clock, attempt):
        _refuse(session, clock, attempt, "too_many_attempts", None)
    try:
        card = parse_card_qr(read_card_qr_image(card_image))
    except InvalidCardQr:
        _refuse(session, clock, attempt, "card_unreadable", None)
    person = _person_of_card(session, clock, id_number, card)
    if person is None:
        _refuse(session, clock, attempt, "card_not_matching", None)
    if age_on(person.date_of_birth, clock.today()) < LEVEL1_MIN_AGE:
        _refuse(session, clock, attempt, "too_young", person.id)
    score = faces.score(selfie, person.id, person.id_number)
    if score is None:
        _refuse(session, clock, attempt, "no_face", person.id)
    if score < faces.threshold:
        _refuse(session, clock, attempt, "not_same_person", person.id)
    if repository.get_by_person(session, person.id) is not None:
        _refuse(session, clock, attempt, "already_has_account", person.id)
    if repository.get_by_phone(session, number) is not None:
        _refuse(session, clock, attempt, "phone_taken", person.id)
    try:
        issued = service.issue_account(
            session=session,
            clock=clock,
            actor=PUBLIC,
            person_id=person.id,
            id_number=id_number,
            phone=number,
            level=1,
            source=SOURCE,
        )
    except PhoneNumberTaken:
        _refuse(session, clock, attempt, "phone_taken", person.id)
    account = repository.get_account(session, issued.id)
    assert account is not None  # noqa: S101 - issued just above, in this transaction
    codes.send_code(session, clock, account, CodePurpose.ACTIVATION, hasher)
    attempt.account_id = account.id
    session.add(attempt)
    service.audit_account(
        session,
        clock,
        PUBLIC,
        "account.level1_register",
        account,
        {"score": round(score, 3), "simulated": faces.simulated},
    )
    return Level1Registered(account.id, int(codes.CODE_LIFETIME.total_seconds()))


def _checked_input(id_number: str, phone: str, selfie: bytes, card_image: bytes) -> tuple[str, str]:
    id_number = id_number.strip()
    if len(id_number) != 12 or not id_number.isascii() or not id_number.isdigit():
        raise InvalidHolderInput("the ID number has 12 digits", field="id_number")
    try:
        number = normalise_phone(phone)
    except ValueError:
        number = None
    if number is None:
        raise InvalidHolderInput("the phone number is not a Vietnamese mobile number", field="phone")
    if not selfie or len(selfie) > SELFIE_MAX_BYTES:
        raise InvalidHolderInput(f"the selfie is missing or over {SELFIE_MAX_BYTES} bytes", field="selfie")
    if not card_image or len(card_image) > CARD_IMAGE_MAX_BYTES:
        raise InvalidHolderInput(f"the card photo is missing or over {CARD_IMAGE_MAX_BYTES} bytes", field="card")
    return number, id_number


def _over_limit(session: Session, clock: Clock, attempt: Level1Attempt) -> bool:
    since = clock.now() - ATTEMPT_WINDOW
    recent = select(func.count()).select_from(Level1Attempt).where(Level1Attempt.attempted_at > since)
    by_id = session.scalar(recent.where(Level1Attempt.id_number_digest == attempt.id_number_digest)) or 0
    by_phone = session.scalar(recent.where(Level1Attempt.phone_digest == attempt.phone_digest)) or 0
    return by_id >= MAX_ATTEMPTS_PER_ID_NUMBER or by_phone >= MAX_ATTEMPTS_PER_PHONE


def _person_of_card(session: Session, clock: Clock, id_number: str, card: CardQr) -> PersonRead | None:
    """The registry's person the card QR describes, if the QR agrees with the registry in every field it has."""
    if card.id_number != id_number:
        return None
    try:
        person = registry.get_person_by_id_number(session=session, clock=clock, actor=PUBLIC, id_number=id_number)
    except PersonNotFound:
        return None
    same = (
        _written(card.full_name) == _written(person.full_name)
        and card.date_of_birth == person.date_of_birth
        and card.sex == person.sex
    )
    cards = registry.list_id_cards(session=session, clock=clock, actor=PUBLIC, person_id=person.id)
    # Where the registry holds the person's cards, the QR must be one of the valid ones.
    if cards and not any(
        c.number == id_number
        and c.status is CardStatus.VALID
        and (card.issue_date is None or card.issue_date == c.issue_date)
        for c in cards
    ):
        same = False
    return person if same else None


def _written(name: str) -> str:
    """A name as the card prints it, to the letter and the tone mark (``fold`` would let "Chiên" pass for
    "Chiến"); only case and spacing may differ."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _refuse(session: Session, clock: Clock, attempt: Level1Attempt, reason: str, person_id: int | None) -> NoReturn:
    """Record the refused attempt and its audit entry, then raise: the caller commits before answering."""
    attempt.outcome = reason
    session.add(attempt)
    audit.record(
        session=session,
        clock=clock,
        actor=PUBLIC,
        action="account.level1_refuse",
        subject_type="person" if person_id is not None else "level1_attempt",
        subject_id=str(person_id) if person_id is not None else attempt.id,
        details={"reason": reason},
    )
    raise Level1Refused(f"level-1 registration refused: {reason}", reason=reason)
