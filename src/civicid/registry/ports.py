"""What the registry's pages show from the capabilities above it, without importing them.

A person's page and a search's results show the record; the account, the applications and the documents that hang on it
belong to other folders, which the registry must not import. The app factory hands the pages a list
of :class:`PersonPanel` (``app.state.person_panels``), each of which returns one panel or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from civicid.core.clock import Clock


@dataclass(frozen=True)
class Panel:
    """A titled list of facts on the person's page, and the actions that go with them.

    Keys are translation keys; ``facts`` values are shown as given (already formatted or a key
    prefixed with ``"_:"`` to translate).
    """

    title: str
    facts: list[tuple[str, str]]
    links: list[tuple[str, str]] = field(default_factory=list)  # (label key, href)


class PersonPanel(Protocol):
    def __call__(self, *, session: Session, clock: Clock, person_id: int) -> Panel | None: ...


@dataclass(frozen=True)
class PersonStatus:
    """Where a person stands beyond the registry: their e-ID account and their latest application.

    Values are the owners' status codes (``accounts.statuses.AccountStatus``,
    ``protocol.codes.ApplicationStatus``), or None when there is no account or no application.
    """

    account: str | None = None
    application: str | None = None


class PersonStatuses(Protocol):
    """The statuses of the persons ``(id, ID number)`` a search returned, by person id (one query each)."""

    def __call__(self, *, session: Session, persons: Sequence[tuple[int, str]]) -> dict[int, PersonStatus]: ...


def no_statuses(*, session: Session, persons: Sequence[tuple[int, str]]) -> dict[int, PersonStatus]:
    """Where nothing above the registry is plugged in (the registry's own tests): no status known."""
    return {}
