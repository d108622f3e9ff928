"""A person's account and latest application, beside the registry's search results (registry/ports.py).

The registry may not import the capabilities above it; the app factory and the ``civicid`` command
plug :func:`statuses_of` into its pages and its CLI. It sits here because the enrollment layer may
read both the accounts' queries and its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from civicid.accounts.queries import account_statuses
from civicid.enrollment.queries import latest_statuses
from civicid.registry.ports import PersonStatus


def statuses_of(*, session: Session, persons: Sequence[tuple[int, str]]) -> dict[int, PersonStatus]:
    """Each person's account status and last application's status (two queries for the whole page)."""
    accounts = account_statuses(session, [person for person, _ in persons])
    applications = latest_statuses(session, [number for _, number in persons])
    return {
        person: PersonStatus(
            account=accounts.get(person),
            application=applications.get(number),
        )
        for person, number in persons
    }
