"""The audit chain: appended from many writers at once, it stays one unbroken chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from civicid.core import audit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database


def _append(database: Database, clock: FixedClock, n: int) -> None:
    with unit_of_work(database.sessions) as session:
        audit.record(
            session=session,
            clock=clock,
            actor=audit.Actor("staff", f"writer{n % 4}"),
            action="person.read",
            subject_type="person",
            subject_id=str(n),
        )


def test_concurrent_appends_form_one_intact_chain(database: Database, clock: FixedClock) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: _append(database, clock, n), range(40)))
    with unit_of_work(database.sessions) as session:
        report = audit.verify_chain(session=session)
    assert report.intact
    assert report.entries == 40


def test_first_entry_chains_to_the_genesis_hash(database: Database, clock: FixedClock) -> None:
    _append(database, clock, 1)
    with unit_of_work(database.sessions) as session:
        (entry,) = audit.entries_for_subject(session=session, subject_type="person", subject_id="1")
    assert entry.prev_hash == audit.GENESIS_HASH
    assert entry.entry_hash == audit.chain_hash(audit.GENESIS_HASH, audit.content_digest(audit.hashed_content(entry)))


def test_a_removed_entry_breaks_the_chain(database: Database, clock: FixedClock) -> None:
    for n in range(3):
        _append(database, clock, n)
    with unit_of_work(database.sessions) as session:
        (middle,) = audit.entries_for_subject(session=session, subject_type="person", subject_id="1")
        session.delete(middle)
    with unit_of_work(database.sessions) as session:
        report = audit.verify_chain(session=session)
    assert not report.intact
    assert report.entries == 1
