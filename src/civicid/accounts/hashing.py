"""The holder's secrets: how they are hashed, made and checked (DESIGN.md decision 10).

Every secret the holder sets or receives (activation and new-device codes, password, passcode,
security answers) is stored only as an Argon2id hash; the parameters travel inside each hash
(``$argon2id$v=19$m=…,t=…,p=…$…``), so a deployment may change its profile without making the
hashes already stored unverifiable. Session tokens and activation tickets are 256 random bits,
which no search can find, so their SHA-256 is enough and lets them be looked up by digest.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from civicid.accounts.errors import InvalidHolderInput

CODE_DIGITS = 6
PASSCODE_DIGITS = 6
PASSWORD_MIN, PASSWORD_MAX = 8, 20
ANSWER_MAX = 100
_SPECIAL = re.compile(r"[^0-9A-Za-z\s]")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class SecretHasher:
    """Argon2id at one cost profile; :data:`PRODUCTION` unless a test or the synthetic demo says otherwise."""

    time_cost: int
    memory_kib: int
    parallelism: int
    _dummy: list[str] = field(default_factory=list, compare=False, repr=False)

    @cached_property
    def _argon2(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism, type=Type.ID
        )

    def hash(self, secret: str) -> str:
        return self._argon2.hash(secret)

    def verify(self, hashed: str | None, secret: str) -> bool:
        """True when ``secret`` matches; a missing hash costs the same work, so timing tells nothing."""
        if hashed is None:
            if not self._dummy:
                self._dummy.append(self.hash(secrets.token_urlsafe(16)))
            hashed = self._dummy[0]
            secret = "\x00" + secret  # never matches the dummy
        try:
            return self._argon2.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False


#: argon2-cffi's defaults, RFC 9106 §4's second recommended profile (64 MiB, 3 passes), as for staff.
PRODUCTION = SecretHasher(time_cost=3, memory_kib=65536, parallelism=4)
#: A cheap profile for tests and the synthetic demo population only: never for real holders.
FAST = SecretHasher(time_cost=1, memory_kib=256, parallelism=1)


def new_code() -> str:
    """A uniformly random 6-digit code (``secrets``, not ``random``)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    """DOMAIN.md: 8–20 characters with a digit, an upper-case and a lower-case letter and a special character."""
    problems = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append(f"{PASSWORD_MIN} to {PASSWORD_MAX} characters")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    if not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if not _SPECIAL.search(password):
        problems.append("a special character")
    if problems:
        raise InvalidHolderInput("the password needs " + ", ".join(problems), field="password")


def check_digits(value: str, *, name: str, digits: int) -> None:
    if len(value) != digits or not _DIGITS.match(value) or not value.isascii():
        raise InvalidHolderInput(f"the {name} must be {digits} digits", field=name)


def normalise_answer(answer: str) -> str:
    """The same answer however it is typed: NFC, case-folded, spaces collapsed, ends trimmed.

    Diacritics are kept: in Vietnamese they tell words apart (``Hà`` is not ``Hạ``).
    """
    text = " ".join(unicodedata.normalize("NFC", answer).casefold().split())
    if not text or len(text) > ANSWER_MAX:
        raise InvalidHolderInput(f"each security answer must have 1 to {ANSWER_MAX} characters", field="answers")
    return text


def mask_phone(phone: str | None) -> str | None:
    """A phone number as the app shows it to its holder: the last three digits (``*******678``)."""
    return None if phone is None else "*" * (len(phone) - 3) + phone[-3:]
