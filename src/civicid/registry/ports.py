"""What the registry's pages show from the capabilities above it, without importing them.

A person's page shows the record; the account, the applications and the documents that hang on it
belong to other folders, which the registry must not import. The app factory hands the pages a list
of :class:`PersonPanel` (``app.state.person_panels``), each of which returns one panel or nothing.
"""

from __future__ import annotations

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
